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
    private readonly WriteContext _context;
    private readonly int _maxBatch;
    private readonly ILogger<SqliteWriter> _logger;
    private readonly Task _loop;
    private readonly Checkpointer _checkpointer;
    private readonly SqliteCommand _restart;
    private readonly string _path;
    private long _busyTicks;
    private long _commitTicks;
    private long _restartTicks;
    private long _lastStorageFailure;
    private long _failedCommits;
    private long _lastCleanCommit;
    private readonly LogThrottle _failureLog = new(FailureLogInterval);

    /// <summary>How often at most a failed group commit is logged with its stack trace (a full disk fails every commit).</summary>
    internal static readonly TimeSpan FailureLogInterval = TimeSpan.FromSeconds(10);

    public SqliteWriter(SqliteDatabase database, IOptions<StorageOptions> options, ILogger<SqliteWriter> logger)
    {
        _connection = database.Open();
        _path = database.FilePath;
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
        _context = new WriteContext(_connection, _commands);
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

    /// <summary>Group commits that failed as a whole since start (every caller in them was told; a full disk fails each).</summary>
    public long FailedCommits => Interlocked.Read(ref _failedCommits);

    /// <summary>
    /// Time since the last write that failed for want of storage (<see cref="IsStorageFailure"/>: a full disk, an I/O
    /// error), as long as no commit has succeeded without one since; null while writes succeed (for readiness).
    /// </summary>
    public TimeSpan? SinceStorageFailure
    {
        get
        {
            var failed = Interlocked.Read(ref _lastStorageFailure);
            return failed != 0 && failed > Interlocked.Read(ref _lastCleanCommit) ? Stopwatch.GetElapsedTime(failed) : null;
        }
    }

    /// <summary>
    /// True while the database file this writer holds is no longer at its path (deleted, moved away or replaced): every
    /// write fails (<see cref="DatabaseFileMovedException"/>) until the same file is back, however long ago the last one
    /// tried (for readiness). What the writer found at its last check, on its own loop: before each batch, and every
    /// <see cref="IdleFileCheck"/> while no write comes. A reader never touches the writer's connection: a call on it waits
    /// for whatever statement holds it (a BEGIN waiting out another process's lock, 30 s; a slow fsync).
    /// </summary>
    public bool DatabaseFileMoved => _fileMoved;

    /// <summary>How often an idle writer checks that its database file is still at its path (<see cref="DatabaseFileMoved"/>).</summary>
    internal static readonly TimeSpan IdleFileCheck = TimeSpan.FromSeconds(1);

    private volatile bool _fileMoved;

    /// <summary>
    /// True for a failure of the storage itself rather than of the statement: SQLite's SQLITE_FULL (a full disk or database),
    /// SQLITE_IOERR and its extended codes, SQLITE_CANTOPEN, and an <see cref="IOException"/> for a full disk (ENOSPC).
    /// </summary>
    public static bool IsStorageFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SqliteException { SqliteErrorCode: var code } && (code & 0xFF) is SqliteFull or SqliteIoErr or SqliteCantOpen)
                return true;
            // ENOSPC on Linux (28) and macOS; ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.
            if (e is IOException { HResult: 28 or unchecked((int)0x80070070) or unchecked((int)0x80070027) })
                return true;
        }
        return false;
    }

    private const int SqliteIoErr = 10;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;

    /// <summary>Operations waiting for the writer (not counting the batch it is running): for tests that order writes behind a busy writer.</summary>
    internal int Queued => Volatile.Read(ref _queued);

    // The channel has a single reader, which does not count its items.
    private int _queued;

    /// <summary>Runs <paramref name="work"/> inside the next group-commit transaction; completes once it is durable.</summary>
    public Task<T> WriteAsync<T>(Func<WriteContext, T> work)
    {
        var op = new WriteOp<T>(work);
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(op))
        {
            Interlocked.Decrement(ref _queued);
            return Task.FromException<T>(new ObjectDisposedException(nameof(SqliteWriter), "The store is shutting down."));
        }
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
        var context = _context;
        while (await WaitForWorkAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var op))
                batch.Add(op);
            if (batch.Count == 0)
                continue;
            Interlocked.Add(ref _queued, -batch.Count);
            Execute(batch, context);
        }
    }

    /// <summary>Waits for the next write (false: the writer is closed), checking the database file every <see cref="IdleFileCheck"/> meanwhile.</summary>
    private async ValueTask<bool> WaitForWorkAsync()
    {
        var ready = _queue.Reader.WaitToReadAsync();
        if (ready.IsCompleted)
            return ready.Result;
        var waiting = ready.AsTask();
        while (await Task.WhenAny(waiting, Task.Delay(IdleFileCheck)).ConfigureAwait(false) != waiting)
        {
            try
            {
                _fileMoved = SqliteFileMoved.Check(_connection, _path);
            }
            catch (Exception ex) when (ex is SqliteException or IOException or ObjectDisposedException)
            {
                // The next batch checks again and fails its callers if it must; readiness keeps the last answer.
            }
        }
        return await waiting.ConfigureAwait(false);
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
            // Deleted, moved away or replaced under the server: SQLite in WAL mode would go on committing into the file it holds,
            // and the next stop would lose everything acknowledged since. A stat per batch; fails it as storage that cannot be opened.
            _fileMoved = SqliteFileMoved.Check(_connection, _path);
            if (_fileMoved)
                throw new DatabaseFileMovedException(_path);
            using (var begin = _connection.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                begin.ExecuteNonQuery();
            }
            var storageFailed = false;
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
                    storageFailed |= IsStorageFailure(ex);
                    // SQLITE_FULL and I/O errors may roll the whole transaction back: the batch then fails with that
                    // cause (not "no such savepoint"), every operation in it undone.
                    if (IsStorageFailure(ex) && SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) != 0)
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex);
                    context.Exec("ROLLBACK TO op");
                    context.Exec("RELEASE op");
                    context.Undo(mark);
                    op.Fail(ex);
                }
            }
            var commitStarted = Stopwatch.GetTimestamp();
            context.ExecCommand("COMMIT");
            _commitTicks += Stopwatch.GetTimestamp() - commitStarted;
            Commits++;
            Operations += batch.Count;
            Interlocked.Exchange(ref storageFailed ? ref _lastStorageFailure : ref _lastCleanCommit, Stopwatch.GetTimestamp());
        }
        catch (Exception ex)
        {
            if (IsStorageFailure(ex))
                Interlocked.Exchange(ref _lastStorageFailure, Stopwatch.GetTimestamp());
            Interlocked.Increment(ref _failedCommits);
            LogCommitFailedThrottled(ex, batch.Count);
            try { context.ExecCommand("ROLLBACK"); } catch (SqliteException) { /* no transaction left to roll back */ }
            foreach (var op in batch)
                op.Fail(ex);
            context.OnRollback(LogCallbackFailed);
            return;
        }
        context.OnCommit(LogCallbackFailed);
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
        _context.DisposeStatements();
        foreach (var command in _commands.Values)
            command.Dispose();
        _restart.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
        await _checkpointer.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The stack trace once per <see cref="FailureLogInterval"/>, with the count of failures not logged since.</summary>
    private void LogCommitFailedThrottled(Exception ex, int count)
    {
        if (_failureLog.ShouldLog("commit", out var unlogged))
            LogCommitFailed(ex, count, unlogged, FailureLogInterval.TotalSeconds);
    }

    private void LogCallbackFailed(Exception ex) => LogAfterWriteActionFailed(ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "An action registered to run after a commit or a rollback failed; the write itself stands and its callers were answered")]
    private partial void LogAfterWriteActionFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "Group commit of {Count} operations failed; every caller was told ({Unlogged} more failed commits since the last one logged; logged at most once per {Interval} s)")]
    private partial void LogCommitFailed(Exception ex, int count, int unlogged, double interval);

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
