using System.Collections.Concurrent;
using AgentCrm.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentCrm.Actors.Tests.Actors;

public sealed class SqliteWriterTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private const long WalLimit = 2 * 1024 * 1024;

    /// <summary>A writer on a fresh database with a table of blobs and the log held to <see cref="WalLimit"/>; and the log file.</summary>
    private async Task<(SqliteWriter Writer, FileInfo Wal)> BlobWriterAsync()
    {
        var options = Options.Create(new StorageOptions { DataDirectory = _directory.Path, Synchronous = SyncMode.Normal, MaxWalBytes = WalLimit });
        var database = new SqliteDatabase(options);
        var writer = new SqliteWriter(database, options, NullLogger<SqliteWriter>.Instance);
        await writer.WriteAsync(ctx => ctx.Execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)"));
        return (writer, new FileInfo(database.FilePath + "-wal"));
    }

    private static byte[] Blob(int size)
    {
        var blob = new byte[size];
        new Random(1).NextBytes(blob);
        return blob;
    }

    [Fact]
    public async Task AfterABurstOfWrites_TheWriteAheadLogShrinksBackToItsLimit()
    {
        var (writer, wal) = await BlobWriterAsync();
        await using var _ = writer;
        var blob = Blob(256 * 1024);

        // A burst: 32 MB queued at once, so the log grows far past its limit before any checkpoint runs.
        await Task.WhenAll(Enumerable.Range(0, 128).Select(_ => writer.WriteAsync(ctx => ctx.Execute("INSERT INTO blobs (data) VALUES ($d)", ("$d", blob)))));
        wal.Refresh();
        Assert.True(wal.Length > 8 * WalLimit, $"the burst should have gone to the log first (log {wal.Length:N0} bytes)");

        // Writes go on at a slow pace: once a checkpoint has caught up, the next commit starts the log over and truncates it.
        // Generous: checkpoints compete for the disk and the CPU with everything else a CI machine runs.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            await writer.WriteAsync(ctx => ctx.Execute("INSERT INTO blobs (data) VALUES (x'00')"));
            await Task.Delay(50);
            wal.Refresh();
        }
        while (wal.Length > WalLimit && DateTime.UtcNow < deadline);

        Assert.True(wal.Length <= WalLimit, $"the log should be back under Storage:MaxWalBytes ({WalLimit:N0}) within 60 s, is {wal.Length:N0} bytes");
    }

    [Fact]
    public async Task UnderSteadyWrites_TheWriterRestartsTheLog_WhileTheWritesGoOn()
    {
        var (writer, wal) = await BlobWriterAsync();
        await using var _ = writer;
        var blob = Blob(16 * 1024);

        // Commits back to back, with no pause in which a checkpoint could reach the log's end on its own; far more than the limit in all.
        var written = 0L;
        var started = DateTime.UtcNow;
        while ((written < 40 * WalLimit || (writer.Restarts == 0 && written < 100 * WalLimit)) && DateTime.UtcNow - started < TimeSpan.FromSeconds(30))
        {
            await writer.WriteAsync(ctx => ctx.Execute("INSERT INTO blobs (data) VALUES ($d)", ("$d", blob)));
            written += blob.Length;
        }
        wal.Refresh();

        // How far the log overshoots between two restarts depends on the write rate (the bench measures it); that it is
        // restarted while the writes go on, rather than only once they stop, does not.
        Assert.True(writer.Restarts > 0, $"the writer should have restarted the log while {written:N0} bytes were written (log now {wal.Length:N0} bytes)");
    }

    [Fact]
    public async Task AnAfterCommitActionThatThrows_LeavesTheWriteCommitted_TheOtherActionsRun_AndTheWriterGoesOn()
    {
        var options = Options.Create(new StorageOptions { DataDirectory = _directory.Path, Synchronous = SyncMode.Normal });
        var database = new SqliteDatabase(options);
        await using var writer = new SqliteWriter(database, options, NullLogger<SqliteWriter>.Instance);
        await writer.WriteAsync(ctx => ctx.Execute("CREATE TABLE notes (text TEXT NOT NULL)"));
        var announced = new ConcurrentQueue<string>();

        // A subscriber to what was committed that throws: before, the exception left the writer's loop faulted, the
        // batch's callers waiting for good, and every later write with them.
        var write = writer.WriteAsync(ctx =>
        {
            ctx.Execute("INSERT INTO notes (text) VALUES ('kept')");
            ctx.AfterCommit(() => throw new InvalidOperationException("a subscriber failed"));
            ctx.AfterCommit(() => announced.Enqueue("kept"));
        });
        var answered = await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(60)));

        Assert.Same(write, answered);
        await write;
        Assert.Equal(["kept"], announced);
        await writer.WriteAsync(ctx => ctx.Execute("INSERT INTO notes (text) VALUES ('later')"));
        using var connection = database.Open();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT group_concat(text, ',') FROM (SELECT text FROM notes ORDER BY rowid)";
        Assert.Equal("kept,later", read.ExecuteScalar());
    }

    [Fact]
    public async Task AFailingOperation_FailsOnlyItsCaller_AndWhatItAnnouncedAfterCommitNeverRuns()
    {
        var options = Options.Create(new StorageOptions { DataDirectory = _directory.Path, Synchronous = SyncMode.Normal });
        var database = new SqliteDatabase(options);
        await using var writer = new SqliteWriter(database, options, NullLogger<SqliteWriter>.Instance);
        await writer.WriteAsync(ctx => ctx.Execute("CREATE TABLE notes (text TEXT NOT NULL)"));
        var announced = new ConcurrentQueue<string>();

        // Hold the writer so the next three operations are queued and run in one group commit.
        using var hold = new ManualResetEventSlim();
        var held = writer.WriteAsync(_ => hold.Wait(TimeSpan.FromSeconds(30)));
        Task Note(string text, bool fail) => writer.WriteAsync(ctx =>
        {
            ctx.Execute("INSERT INTO notes (text) VALUES ($t)", ("$t", text));
            ctx.AfterCommit(() => announced.Enqueue(text));
            if (fail)
                throw new InvalidOperationException("failed on purpose");
        });
        var first = Note("first", fail: false);
        var failing = Note("rolled back", fail: true);
        var last = Note("last", fail: false);
        hold.Set();
        await held;

        await first;
        await last;
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        Assert.Equal(["first", "last"], announced);
        using var connection = database.Open();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT group_concat(text, ',') FROM (SELECT text FROM notes ORDER BY rowid)";
        Assert.Equal("first,last", read.ExecuteScalar());
    }
}
