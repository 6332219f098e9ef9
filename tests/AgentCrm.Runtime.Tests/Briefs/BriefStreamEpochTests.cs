using System.Buffers.Text;
using System.Text;
using AgentCrm.Access;
using AgentCrm.Briefs;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using static AgentCrm.Runtime.Tests.Briefs.BriefStreamResumeTests;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// A stream position alone (briefs.change_seq) was not tied to the data directory's history: after an older backup was
/// restored and the server wrote again, the positions past the backup were given to other changes, and a client whose last
/// id was sent after the backup was taken resumed past changes it never saw, silently. Ids now name their epoch (a server
/// start's history); one the directory cannot place is answered resync.
/// </summary>
public sealed class BriefStreamEpochTests
{
    [Fact]
    public async Task Stream_ReconnectAfterAnOlderBackupWasRestored_WithAnIdSentAfterTheBackup_SendsResync()
    {
        var data = TempDirectory.Create();
        var (key, template) = await FirstStartAsync(data);
        var backup = Backup(data);

        string lastId;
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            using var ops = Client(app, key);
            await using var stream = await StreamEvents.OpenAsync(ops);
            var lost = await AddDeliveredAsync(app, Template(app, template), "lost", 5, perWrite: 1);
            lastId = (await stream.ThroughAsync(lost[^1])).EventId!;
        }
        Restore(backup, data);

        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            // More changes than were lost: the restored directory's newest position passes the id's again.
            await AddDeliveredAsync(app, Template(app, template), "new", 10, perWrite: 1);
            using var ops = Client(app, key);
            await using var stream = await StreamEvents.OpenAsync(ops, lastId);
            var resync = await stream.NextAsync("resync", "a resync: the id was sent after the backup this directory was restored from");
            Assert.Equal(lastId, resync.Data.GetProperty("lastEventId").GetString());
            Assert.Contains("restored", resync.Data.GetProperty("detail").GetString(), StringComparison.Ordinal);
            // Live from there, and the resync's id places the next reconnect.
            var live = await AddDeliveredAsync(app, Template(app, template), "live", 2, perWrite: 1);
            Assert.Equal(live, (await stream.BriefsAsync(2, "the live briefs after the resync")).Select(Id));
            await using var again = await StreamEvents.OpenAsync(ops, resync.EventId);
            Assert.Equal(live, (await again.BriefsAsync(2, "the briefs after the resync's id")).Select(Id));
        }
    }

    /// <summary>
    /// A backup taken while the server ran (SQLite's online backup, as <c>sqlite3 .backup</c>): it holds the epoch the id
    /// names, up to where it was taken; the start after the restore ends that epoch there.
    /// </summary>
    [Fact]
    public async Task Stream_ReconnectAfterABackupTakenWhileServingWasRestored_WithAnIdSentAfterTheBackup_SendsResync()
    {
        var data = TempDirectory.Create();
        var (key, template) = await FirstStartAsync(data);
        var backup = Path.Combine(TempDirectory.Create(), "agentcrm.db");
        string lastId, keptId;
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            using var ops = Client(app, key);
            await using var stream = await StreamEvents.OpenAsync(ops);
            var kept = await AddDeliveredAsync(app, Template(app, template), "kept", 2, perWrite: 1);
            keptId = (await stream.ThroughAsync(kept[0])).EventId!;
            using (var source = new SqliteConnection($"Data Source={Path.Combine(data, "agentcrm.db")};Pooling=False"))
            using (var copy = new SqliteConnection($"Data Source={backup};Pooling=False"))
            {
                source.Open();
                copy.Open();
                source.BackupDatabase(copy);
            }
            var lost = await AddDeliveredAsync(app, Template(app, template), "lost", 5, perWrite: 1);
            lastId = (await stream.ThroughAsync(lost[^1])).EventId!;
            Assert.Equal(Epoch(keptId), Epoch(lastId));
        }
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { "agentcrm.db", "agentcrm.db-wal", "agentcrm.db-shm" })
            File.Delete(Path.Combine(data, file));
        File.Copy(backup, Path.Combine(data, "agentcrm.db"));

        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            var added = await AddDeliveredAsync(app, Template(app, template), "new", 10, perWrite: 1);
            using var ops = Client(app, key);
            await using (var stream = await StreamEvents.OpenAsync(ops, lastId))
            {
                var resync = await stream.NextAsync("resync", "a resync: the id was sent after the backup was taken");
                Assert.Contains("restored", resync.Data.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
            // The same epoch's id from before the backup still resumes.
            await using var kept = await StreamEvents.OpenAsync(ops, keptId);
            Assert.Equal(["kept-0001", .. added], (await kept.BriefsAsync(1 + added.Count, "the briefs after the id from before the backup")).Select(Id));
        }
    }

    /// <summary>The backup holds an id's history up to the id and past it: the client is sent exactly what changed after it there and since.</summary>
    [Fact]
    public async Task Stream_ReconnectAfterAnOlderBackupWasRestored_WithAnIdFromBeforeTheBackup_ResumesExactly()
    {
        var data = TempDirectory.Create();
        var (key, template) = await FirstStartAsync(data);
        string lastId;
        List<string> kept;
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            using var ops = Client(app, key);
            await using var stream = await StreamEvents.OpenAsync(ops);
            var before = await AddDeliveredAsync(app, Template(app, template), "before", 4, perWrite: 1);
            lastId = (await stream.ThroughAsync(before[1])).EventId!;
            kept = before[2..];
        }
        var backup = Backup(data);
        await using (var app = await AgentCrmApp.StartAsync(data))
            await AddDeliveredAsync(app, Template(app, template), "lost", 5, perWrite: 1);
        Restore(backup, data);

        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            var added = await AddDeliveredAsync(app, Template(app, template), "new", 3, perWrite: 1);
            using var ops = Client(app, key);
            await using var stream = await StreamEvents.OpenAsync(ops, lastId);
            Assert.Equal([.. kept, .. added], (await stream.BriefsAsync(kept.Count + added.Count, "the briefs after the id, kept and new")).Select(Id));
            var live = await AddDeliveredAsync(app, Template(app, template), "live", 1, perWrite: 1);
            Assert.Equal(live, (await stream.BriefsAsync(1, "the live brief, nothing sent twice before it")).Select(Id));
        }
    }

    /// <summary>Ids survive a plain restart (each start begins an epoch; the ones before keep their positions).</summary>
    [Fact]
    public async Task Stream_ReconnectAfterRestarts_ResumesWithoutResync()
    {
        var data = TempDirectory.Create();
        var (key, template) = await FirstStartAsync(data);
        string lastId;
        List<string> missed;
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            using var ops = Client(app, key);
            await using var stream = await StreamEvents.OpenAsync(ops);
            var first = await AddDeliveredAsync(app, Template(app, template), "first", 2, perWrite: 1);
            lastId = (await stream.ThroughAsync(first[0])).EventId!;
            missed = first[1..];
        }
        // A start that writes nothing, then one that writes.
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
        }
        await using (var app = await AgentCrmApp.StartAsync(data))
            missed.AddRange(await AddDeliveredAsync(app, Template(app, template), "second", 2, perWrite: 1));
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            using var ops = Client(app, key);
            await using var stream = await StreamEvents.OpenAsync(ops, lastId);
            Assert.Equal(missed, (await stream.BriefsAsync(missed.Count, "the briefs after the id, across restarts")).Select(Id));
            Assert.Equal(5L, Scalar(data, "SELECT count(*) FROM stream_epochs"));
        }
    }

    /// <summary>An id another server's directory sent, at a position this one has too, is not taken for one of its own.</summary>
    [Fact]
    public async Task Stream_ReconnectWithAnIdFromAnotherDataDirectory_SendsResync()
    {
        string otherId;
        await using (var other = await AgentCrmApp.StartAsync())
        {
            using var ops = await other.ClientAsync(Roles.Ops);
            await using var stream = await StreamEvents.OpenAsync(ops);
            otherId = (await stream.ThroughAsync(await other.AtRiskBriefAsync("other-0", "delivered"))).EventId!;
        }
        await using var app = await AgentCrmApp.StartAsync();
        var template = await app.AtRiskBriefAsync("this-0", "delivered");
        await AddDeliveredAsync(app, Template(app, template), "this", 10, perWrite: 1);
        using var client = await app.ClientAsync(Roles.Ops);
        await using var again = await StreamEvents.OpenAsync(client, otherId);
        var resync = await again.NextAsync("resync", "a resync: the id is another directory's");
        Assert.Contains("another server's directory", resync.Data.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A bare position, as builds before epochs sent them: a client connected across the upgrade resumes as before (the
    /// directory's history from before its first epoch is kept); a bare position past that history was not sent by such a
    /// build on this history (this build's restore case, an older build's writes after a downgrade): resync.
    /// </summary>
    [Fact]
    public async Task Stream_ReconnectWithABarePositionFromAnEarlierBuild_ResumesBeforeTheFirstEpoch_ResyncsPastIt()
    {
        var data = TempDirectory.Create();
        var (key, template) = await FirstStartAsync(data);
        List<string> written;
        await using (var app = await AgentCrmApp.StartAsync(data))
            written = await AddDeliveredAsync(app, Template(app, template), "old", 4, perWrite: 1);
        // The directory as a build before epochs left it.
        DataDb.Execute(data, "DROP TABLE IF EXISTS stream_epochs");
        var bareId = BareId(Scalar(data, $"SELECT change_seq FROM briefs WHERE id = '{written[1]}'"));

        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            var added = await AddDeliveredAsync(app, Template(app, template), "new", 4, perWrite: 1);
            using var ops = Client(app, key);
            await using (var stream = await StreamEvents.OpenAsync(ops, bareId))
            {
                List<string> expected = [.. written[2..], .. added];
                Assert.Equal(expected, (await stream.BriefsAsync(expected.Count, "the briefs after the bare position")).Select(Id));
            }

            var past = BareId(Scalar(data, $"SELECT change_seq FROM briefs WHERE id = '{added[1]}'"));
            await using var resynced = await StreamEvents.OpenAsync(ops, past);
            var resync = await resynced.NextAsync("resync", "a resync: a bare position inside this build's epochs");
            Assert.Contains("without an epoch", resync.Data.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    /// <summary>Only a server start begins an epoch: a CLI verb (which writes no briefs) adds none, beside a server or without one.</summary>
    [Fact]
    public async Task CliVerb_OnTheDataDirectory_BeginsNoEpoch()
    {
        var data = TempDirectory.Create();
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            var beside = await Cli.CliRunner.RunAsync(["keys", "create", "--name", "cli-beside", "--role", "ops", "--data", data]);
            Assert.True(beside.ExitCode == 0, beside.Stderr);
            Assert.Equal(1L, Scalar(data, "SELECT count(*) FROM stream_epochs"));
        }
        var alone = await Cli.CliRunner.RunAsync(["keys", "create", "--name", "cli-alone", "--role", "ops", "--data", data]);
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        Assert.Equal(1L, Scalar(data, "SELECT count(*) FROM stream_epochs"));
    }

    /// <summary>Creates the directory with an ops key and a delivered brief to copy (<see cref="AddDeliveredAsync"/>); the key and the brief's id.</summary>
    private static async Task<(string Key, string Template)> FirstStartAsync(string data)
    {
        await using var app = await AgentCrmApp.StartAsync(data);
        return (await app.CreateKeyAsync(Roles.Ops, "ops-epochs"), await app.AtRiskBriefAsync("epoch-0", "delivered"));
    }

    private static Brief Template(AgentCrmApp app, string id) => app.Services.GetRequiredService<BriefStore>().Get(id)!;

    /// <summary>The epoch an event id names (the ids are opaque to clients; the test reads them to check its premise).</summary>
    private static string Epoch(string eventId) => Encoding.UTF8.GetString(Base64Url.DecodeFromChars(eventId)).Split('-')[0];

    private static string BareId(long position) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"e:{position}"));

    /// <summary>A copy of the stopped server's directory, every database file closed and checkpointed, as a backup takes it.</summary>
    private static string Backup(string data)
    {
        SqliteConnection.ClearAllPools();
        var backup = TempDirectory.Create();
        foreach (var file in Directory.GetFiles(data))
            File.Copy(file, Path.Combine(backup, Path.GetFileName(file)));
        return backup;
    }

    /// <summary>Puts <paramref name="backup"/> back in place of what the stopped server's directory holds.</summary>
    private static void Restore(string backup, string data)
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(data))
            File.Delete(file);
        foreach (var file in Directory.GetFiles(backup))
            File.Copy(file, Path.Combine(data, Path.GetFileName(file)));
    }

    private static HttpClient Client(AgentCrmApp app, string key)
    {
        var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static long Scalar(string data, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "agentcrm.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }
}
