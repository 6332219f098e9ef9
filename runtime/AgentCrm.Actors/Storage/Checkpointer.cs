using Microsoft.Data.Sqlite;

namespace AgentCrm.Storage;

/// <summary>
/// Moves the WAL back into the database file from a connection of its own, so the group-commit writer
/// never pays for checkpoints (copying pages and the fsync) inside its COMMITs. PASSIVE checkpoints
/// never block the writer or readers. But under steady writes a PASSIVE checkpoint never catches the log's
/// end, and the log is only started over once one has: it would grow for as long as the writes last (hundreds
/// of MB per burst). So once the log holds more than <c>maxWalBytes</c> and a checkpoint has nearly caught up, this
/// asks the writer (<see cref="RestartWanted"/>) to restart it between two commits (<see cref="SqliteWriter"/>); the
/// writer's next commit then starts the log over and truncates the file to the limit (<c>journal_size_limit</c>).
/// The log overshoots the limit by what is written between two ticks; a long read holds it back meanwhile. A
/// TRUNCATE checkpoint on dispose leaves a small file behind.
/// </summary>
internal sealed class Checkpointer : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private readonly SqliteConnection _connection;
    private readonly long _maxWalPages;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public Checkpointer(SqliteDatabase database, long maxWalBytes)
    {
        _connection = database.Open();
        using (var cmd = _connection.CreateCommand())
        {
            cmd.CommandText = "PRAGMA page_size";
            _maxWalPages = Math.Max(1, maxWalBytes / Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Set when the log has outgrown its limit; the writer restarts it after its next commit and clears this.</summary>
    public volatile bool RestartWanted;

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                // Only once this checkpoint has nearly caught up: the writer's restart then copies little, and a reader
                // that holds the log back (a long read) does not make the writer wait at every tick for nothing.
                var (log, copied) = Checkpoint("PASSIVE");
                if (log > _maxWalPages && log - copied <= _maxWalPages / 4)
                    RestartWanted = true;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Runs a checkpoint: the frames in the log and those copied into the database, or (-1, -1) if it could not run (busy or locked).</summary>
    private (long Log, long Copied) Checkpoint(string mode)
    {
        try
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = $"PRAGMA wal_checkpoint({mode})";
            using var row = cmd.ExecuteReader();
            // (busy, frames in the log, frames checkpointed).
            return row.Read() ? (row.GetInt64(1), row.GetInt64(2)) : (-1, -1);
        }
        catch (SqliteException)
        {
            // Busy or locked: the next tick tries again; the WAL only grows meanwhile.
            return (-1, -1);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        Checkpoint("TRUNCATE");
        await _connection.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
