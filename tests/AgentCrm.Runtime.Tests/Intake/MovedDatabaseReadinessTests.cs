using System.Net;
using System.Text.Json;
using AgentCrm.Server;

namespace AgentCrm.Runtime.Tests.Intake;

/// <summary>
/// agentcrm.db deleted, moved away or replaced under a running server fails every write until the same file is back.
/// /readyz went back to ready 10 s after the last failed write (the window meant for a full disk, where nothing may try to
/// write behind a load balancer) and was ready before any write tried: a load balancer kept sending traffic to a server
/// that could never write. Readiness now stays false while the file is gone, and comes back with it.
/// </summary>
public sealed class MovedDatabaseReadinessTests
{
    [Fact]
    public async Task ADatabaseFileMovedAway_IsNotReady_BeforeAnyWrite_PastTheFailureWindow_AndReadyOnceItIsBack()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (var ok = await app.PostEventsAsync([Ev.Make("moved-0", "login", DateTimeOffset.UtcNow.AddHours(-1), new { })]))
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        Assert.True((await ReadyAsync(app)).Ready);
        var path = Path.Combine(app.DataDirectory, "agentcrm.db");
        var away = path + ".away";

        File.Move(path, away);

        // No write has tried yet: the writer's idle check of the file's identity says so within a second or so.
        var before = await ReadyAsync(app);
        for (var i = 0; i < 100 && before.Ready; i++)
        {
            await Task.Delay(100);
            before = await ReadyAsync(app);
        }
        Assert.False(before.Ready, before.Body);
        Assert.False(before.Storage, before.Body);
        using (var refused = await app.PostEventsAsync([Ev.Make("moved-1", "login", DateTimeOffset.UtcNow.AddHours(-1), new { })]))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        // Past the window a full disk's failure lasts without another write: still not ready, as every write still fails.
        await Task.Delay(HealthApi.StorageFailureWindow + TimeSpan.FromSeconds(1));
        var after = await ReadyAsync(app);
        Assert.False(after.Ready, after.Body);
        Assert.False(after.Storage, after.Body);

        File.Move(away, path);

        // Writes succeed again, and readiness comes back with the first of them (background writes failed until then too).
        using (var accepted = await app.PostEventsAsync([Ev.Make("moved-2", "login", DateTimeOffset.UtcNow.AddHours(-1), new { })]))
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var back = await ReadyAsync(app);
        Assert.True(back.Ready, back.Body);
    }

    /// <summary>
    /// The probe checked the file on the writer's own connection, so it waited for whatever statement held it: here the
    /// writer's BEGIN, waiting out another process's write lock (up to the 30 s busy timeout). It now reads what the
    /// writer last found, and answers at once.
    /// </summary>
    [Fact]
    public async Task Readiness_WhileTheWriterWaitsForAnotherProcesssLock_AnswersAtOnce()
    {
        await using var app = await AgentCrmApp.StartAsync();
        Assert.True((await ReadyAsync(app)).Ready);
        using var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(app.DataDirectory, "agentcrm.db")};Pooling=False");
        other.Open();
        using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }
        // A write now waits in the writer's BEGIN for the lock the other connection holds.
        var waiting = app.PostEventsAsync([Ev.Make("locked-0", "login", DateTimeOffset.UtcNow.AddHours(-1), new { })]);
        await Task.Delay(500);
        try
        {
            var probe = app.Client.GetAsync("/readyz");
            var answered = await Task.WhenAny(probe, Task.Delay(TimeSpan.FromSeconds(5))) == probe;
            Assert.True(answered, "GET /readyz did not answer within 5 s while the writer waited for another process's lock");
            (await probe).Dispose();
        }
        finally
        {
            using var rollback = other.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }
        using var accepted = await waiting;
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }

    private static async Task<(bool Ready, bool Storage, string Body)> ReadyAsync(AgentCrmApp app)
    {
        using var response = await app.Client.GetAsync("/readyz");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode} {body}");
        // A read that needs a new connection while the file is away may fail first: a 503 naming storage, not a readiness body.
        var storage = JsonDocument.Parse(body).RootElement.TryGetProperty("storage", out var value) && value.GetBoolean();
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable && !body.Contains("\"storage\"", StringComparison.Ordinal))
            Assert.Contains("Storage", body, StringComparison.Ordinal);
        return (response.StatusCode == HttpStatusCode.OK, storage, $"{(int)response.StatusCode} {body}");
    }
}
