using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentCrm.Storage;

/// <summary>
/// Group commit: the single writer of the database. Concurrent callers enqueue work; the writer runs as
/// many queued operations as are waiting inside one transaction (each under its own savepoint, so one
/// failing operation fails only its caller) and completes every caller after COMMIT returns.
/// One row per transaction is ~4,000/s on this class of machine, 100 per transaction ~110,000/s.
/// </summary>
public sealed partial class SqliteWriter : IAsyncDisposable
{
    private readonly Channel<WriteOp> _queue = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly int _maxBatch;
    private readonly ILogger<SqliteWriter> _logger;
    private readonly Task _loop;
    private readonly Checkpointer _checkpointer;
    private readonly SqliteCommand _restart;
    private long _busyTicks;
    private long _commitTicks;
    private long _restartTicks;

    public SqliteWriter(SqliteDatabase database, IOptions<StorageOptions> options, ILogger<SqliteWriter> logger)
    {
        _connection = database.Open();
        // Checkpoints run on their own connection and thread (below), not inside this writer's COMMITs.
        using (var pragma = _connection.CreateCommand())
        {
            // The log is reset by this connection's first commit after a complete checkpoint: truncated then to the limit.
            pragma.CommandText = $"PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit={options.Value.MaxWalBytes}";
            pragma.ExecuteNonQuery();
        }
        _checkpointer = new Checkpointer(database, options.Value.MaxWalBytes);
        _restart = _connection.CreateCommand();
        _restart.CommandText = "PRAGMA wal_checkpoint(RESTART)";
        _maxBatch = options.Value.MaxBatch;
        _logger = logger;
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Times the writer restarted an overgrown log (for the benchmark and tests).</summary>
    public long Restarts { get; private set; }

    /// <summary>Time the writer spent restarting the log (part of <see cref="BusyTime"/>).</summary>
    public TimeSpan RestartTime => Stopwatch.GetElapsedTime(0, _restartTicks);

    /// <summary>Commits counted since start (for the benchmark and health).</summary>
    public long Commits { get; private set; }

    /// <summary>Operations committed since start.</summary>
    public long Operations { get; private set; }

    /// <summary>Runs <paramref name="work"/> inside the next group-commit transaction; completes once it is durable.</summary>
    public Task<T> WriteAsync<T>(Func<WriteContext, T> work)
    {
        var op = new WriteOp<T>(work);
        if (!_queue.Writer.TryWrite(op))
            return Task.FromException<T>(new ObjectDisposedException(nameof(SqliteWriter), "The store is shutting down."));
        return op.Completion.Task;
    }

    public Task WriteAsync(Action<WriteContext> work) => WriteAsync<bool>(ctx =>
    {
        work(ctx);
        return true;
    });

    private async Task RunAsync()
    {
        var batch = new List<WriteOp>(_maxBatch);
        var context = new WriteContext(_connection, _commands);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var op))
                batch.Add(op);
            if (batch.Count == 0)
                continue;
            Execute(batch, context);
        }
    }

    /// <summary>Wall time the writer spent running batches (what limits durable throughput).</summary>
    public TimeSpan BusyTime => Stopwatch.GetElapsedTime(0, _busyTicks);

    /// <summary>Wall time spent in COMMIT (the WAL write and, with synchronous=FULL, the fsync).</summary>
    public TimeSpan CommitTime => Stopwatch.GetElapsedTime(0, _commitTicks);

    private void Execute(List<WriteOp> batch, WriteContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            ExecuteBatch(batch, context);
        }
        finally
        {
            _busyTicks += Stopwatch.GetTimestamp() - started;
        }
    }

    private void ExecuteBatch(List<WriteOp> batch, WriteContext context)
    {
        try
        {
            using (var begin = _connection.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                begin.ExecuteNonQuery();
            }
            foreach (var op in batch)
            {
                context.Exec("SAVEPOINT op");
                var mark = context.Mark();
                try
                {
                    op.Run(context);
                    context.Exec("RELEASE op");
                }
                catch (Exception ex)
                {
                    context.Exec("ROLLBACK TO op");
                    context.Exec("RELEASE op");
                    context.Undo(mark);
                    op.Fail(ex);
                }
            }
            var commitStarted = Stopwatch.GetTimestamp();
            context.Exec("COMMIT");
            _commitTicks += Stopwatch.GetTimestamp() - commitStarted;
            Commits++;
            Operations += batch.Count;
        }
        catch (Exception ex)
        {
            LogCommitFailed(ex, batch.Count);
            try { context.Exec("ROLLBACK"); } catch (SqliteException) { /* no transaction left to roll back */ }
            foreach (var op in batch)
                op.Fail(ex);
            context.OnRollback();
            return;
        }
        context.OnCommit();
        foreach (var op in batch)
            op.Complete();
        if (_checkpointer.RestartWanted)
            RestartLog();
    }

    /// <summary>
    /// The log has outgrown its limit while writes went on: only the writer can bring it back, between two of its
    /// commits (the checkpointer's own connection would race it for the write lock and lose). A RESTART checkpoint
    /// copies what the checkpointer has not yet copied, waits (at most 50 ms) for readers to leave the log, and
    /// makes the next commit start the log over, truncated to its limit.
    /// </summary>
    private void RestartLog()
    {
        var started = Stopwatch.GetTimestamp();
        // The busy wait is the connection's: short while restarting, the usual one for everything else.
        SetBusyTimeout(50);
        try
        {
            using var row = _restart.ExecuteReader();
            // (busy, frames in the log, frames checkpointed): busy when readers stayed past the wait; the checkpointer asks again.
            if (row.Read() && row.GetInt64(0) == 0)
                Restarts++;
        }
        catch (SqliteException)
        {
            // Busy or locked: the checkpointer asks again on its next tick.
        }
        finally
        {
            SetBusyTimeout(SqliteDatabase.BusyTimeoutMs);
            _checkpointer.RestartWanted = false;
            _restartTicks += Stopwatch.GetTimestamp() - started;
        }
    }

    private void SetBusyTimeout(int milliseconds)
    {
        using var pragma = _connection.CreateCommand();
        pragma.CommandText = $"PRAGMA busy_timeout={milliseconds}";
        pragma.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        foreach (var command in _commands.Values)
            command.Dispose();
        _restart.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
        await _checkpointer.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Group commit of {Count} operations failed; every caller was told")]
    private partial void LogCommitFailed(Exception ex, int count);

    private abstract class WriteOp
    {
        public abstract void Run(WriteContext context);
        public abstract void Fail(Exception ex);
        public abstract void Complete();
    }

    private sealed class WriteOp<T>(Func<WriteContext, T> work) : WriteOp
    {
        private T _result = default!;
        private bool _failed;
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run(WriteContext context) => _result = work(context);

        public override void Fail(Exception ex)
        {
            _failed = true;
            Completion.TrySetException(ex);
        }

        public override void Complete()
        {
            if (!_failed)
                Completion.TrySetResult(_result);
        }
    }
}
