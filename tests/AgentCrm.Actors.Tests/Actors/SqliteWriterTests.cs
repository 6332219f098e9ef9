using System.Collections.Concurrent;
using AgentCrm.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentCrm.Actors.Tests.Actors;

public sealed class SqliteWriterTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task AfterABurstOfWrites_TheWriteAheadLogShrinksBackToItsLimit()
    {
        const long limit = 2 * 1024 * 1024;
        var options = Options.Create(new StorageOptions { DataDirectory = _directory.Path, Synchronous = SyncMode.Normal, MaxWalBytes = limit });
        var database = new SqliteDatabase(options);
        await using var writer = new SqliteWriter(database, options, NullLogger<SqliteWriter>.Instance);
        await writer.WriteAsync(ctx => ctx.Execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)"));
        var blob = new byte[256 * 1024];
        new Random(1).NextBytes(blob);
        var wal = new FileInfo(database.FilePath + "-wal");

        // A burst: 32 MB queued at once, so the log grows far past its limit before any checkpoint runs.
        await Task.WhenAll(Enumerable.Range(0, 128).Select(_ => writer.WriteAsync(ctx => ctx.Execute("INSERT INTO blobs (data) VALUES ($d)", ("$d", blob)))));
        wal.Refresh();
        Assert.True(wal.Length > 8 * limit, $"the burst should have gone to the log first (log {wal.Length:N0} bytes)");

        // Writes go on at a slow pace: once a checkpoint has caught up, the next commit starts the log over and truncates it.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            await writer.WriteAsync(ctx => ctx.Execute("INSERT INTO blobs (data) VALUES (x'00')"));
            await Task.Delay(50);
            wal.Refresh();
        }
        while (wal.Length > limit && DateTime.UtcNow < deadline);

        Assert.True(wal.Length <= limit, $"the log should be back under Storage:MaxWalBytes ({limit:N0}) within 20 s, is {wal.Length:N0} bytes");
    }

    [Fact]
    public async Task UnderSteadyWrites_TheWriterRestartsTheLog_SoItDoesNotGrowForAsLongAsTheWritesLast()
    {
        const long limit = 2 * 1024 * 1024;
        var options = Options.Create(new StorageOptions { DataDirectory = _directory.Path, Synchronous = SyncMode.Normal, MaxWalBytes = limit });
        var database = new SqliteDatabase(options);
        await using var writer = new SqliteWriter(database, options, NullLogger<SqliteWriter>.Instance);
        await writer.WriteAsync(ctx => ctx.Execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)"));
        var blob = new byte[16 * 1024];
        new Random(1).NextBytes(blob);
        var wal = new FileInfo(database.FilePath + "-wal");

        // Commits back to back, with no pause in which a checkpoint could reach the log's end on its own; far more than the limit in all.
        var written = 0L;
        var started = DateTime.UtcNow;
        while ((written < 40 * limit || (writer.Restarts == 0 && written < 100 * limit)) && DateTime.UtcNow - started < TimeSpan.FromSeconds(30))
        {
            await writer.WriteAsync(ctx => ctx.Execute("INSERT INTO blobs (data) VALUES ($d)", ("$d", blob)));
            written += blob.Length;
        }
        wal.Refresh();

        Assert.True(writer.Restarts > 0, $"the writer should have restarted the log while {written:N0} bytes were written (log now {wal.Length:N0} bytes)");
        Assert.True(wal.Length < written / 4, $"the log ({wal.Length:N0} bytes) should not hold most of the {written:N0} bytes written");
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
