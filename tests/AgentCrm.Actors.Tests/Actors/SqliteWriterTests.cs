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
