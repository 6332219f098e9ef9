using Microsoft.Data.Sqlite;

namespace AgentCrm.Storage;

/// <summary>
/// Moves the WAL back into the database file from a connection of its own, so the group-commit writer
/// never pays for checkpoints (copying pages and the fsync) inside its COMMITs. PASSIVE checkpoints
/// never block the writer or readers; a TRUNCATE checkpoint on dispose leaves a small file behind.
/// </summary>
internal sealed class Checkpointer : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private readonly SqliteConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public Checkpointer(SqliteDatabase database)
    {
        _connection = database.Open();
        _loop = Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                Checkpoint("PASSIVE");
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Checkpoint(string mode)
    {
        try
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = $"PRAGMA wal_checkpoint({mode})";
            cmd.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // Busy or locked: the next tick tries again; the WAL only grows meanwhile.
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
