using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Intake;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentCrm.Runtime.Tests.Intake;

/// <summary>
/// An inbox row whose stored body cannot be read as an event (damaged, or written by an older build differently) becomes a
/// dead letter the dispatcher skips: it no longer stops the server, nor keeps it from starting again.
/// </summary>
public sealed class UnreadableInboxRowTests
{
    [Fact]
    public async Task Restart_WithAnUnreadableInboxRow_StartsAndProcessesTheOthers_TheRowIsADeadLetter()
    {
        var dir = TempDirectory.Create();
        await using (var first = await AgentCrmApp.StartAsync(dir))
        {
            await first.PostEventsAsync([Ev.Make("p-1", "login", DateTimeOffset.UtcNow.AddMinutes(-3), id: "p-1-login"), Ev.Make("p-2", "login", DateTimeOffset.UtcNow.AddMinutes(-2))]);
            await first.WaitForProcessingAsync();
        }
        SqliteConnection.ClearAllPools();
        long damaged;
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=false"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            // The first event's stored body damaged, and a crash before the watermark was saved: it is read back at start.
            cmd.CommandText = """
                UPDATE events SET body = '{"id":"x"}' WHERE seq = (SELECT min(seq) FROM events);
                UPDATE meta SET value = '0' WHERE key = 'dispatch.watermark';
                SELECT min(seq) FROM events;
                """;
            damaged = (long)cmd.ExecuteScalar()!;
        }

        await using var second = await AgentCrmApp.StartAsync(dir);
        await second.WaitForProcessingAsync();
        Assert.False(second.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested,
            "the host is stopping: the dispatcher's exception stopped the server");
        // Events accepted now are processed as ever.
        Assert.Equal(HttpStatusCode.Accepted, (await second.PostEventsAsync([Ev.Make("p-3", "login", DateTimeOffset.UtcNow.AddMinutes(-1))])).StatusCode);
        await second.WaitForProcessingAsync();
        Assert.Equal(1, await second.CustomerFieldAsync("p-3", "events.total"));

        var letter = Assert.Single((await second.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal(damaged, letter.GetProperty("seq").GetInt64());
        Assert.Equal("p-1-login", letter.GetProperty("eventId").GetString());
        Assert.Equal("p-1", letter.GetProperty("customerId").GetString());
        Assert.Contains("cannot be read", letter.GetProperty("error").GetString(), StringComparison.Ordinal);

        // Replayed while still damaged, it fails and stays listed (nothing was delivered).
        using var replay = await second.Client.PostAsync("/v1/dead-letters/replay", null);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        var outcome = JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(0, outcome.GetProperty("replayed").GetInt32());
        Assert.Equal(damaged, Assert.Single(outcome.GetProperty("failed").EnumerateArray()).GetProperty("seq").GetInt64());
        Assert.Single((await second.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
    }
    [Theory]
    [InlineData("{broken")]
    [InlineData("""{"id":"dmg-1"}""")]
    public async Task PostEvents_RetryOfAnEventWhoseStoredBodyIsUnreadable_Is409NamingIt_AndNothingInTheRequestIsStored(string damage)
    {
        await using var app = await AgentCrmApp.StartAsync();
        const string original = """{"id":"dmg-1","customerId":"dmg","type":"login","occurredAt":"2026-11-01T00:00:00Z"}""";
        const string other = """{"id":"dmg-2","customerId":"dmg","type":"login","occurredAt":"2026-11-01T01:00:00Z"}""";
        using (var first = await app.Client.PostAsync("/v1/events", new StringContent(original, Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        await app.WaitForProcessingAsync();
        SqliteConnection.ClearAllPools();
        long seq;
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(app.DataDirectory, "agentcrm.db")};Pooling=false"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE events SET body = $b WHERE id = 'dmg-1'; SELECT seq FROM events WHERE id = 'dmg-1';";
            cmd.Parameters.AddWithValue("$b", damage);
            seq = (long)cmd.ExecuteScalar()!;
        }

        // The integrator's retry of the batch: not a 500 (which invites retrying for ever) but a 409 naming the event.
        using var retry = await app.Client.PostAsync("/v1/events", new StringContent($"[{other},{original}]", Encoding.UTF8, "application/json"));
        var problem = await retry.ProblemAsync(HttpStatusCode.Conflict);
        var error = Assert.Single(problem.GetProperty("errors").GetProperty("$[1].id").EnumerateArray()).GetString()!;
        Assert.Contains("cannot be read", error, StringComparison.Ordinal);
        Assert.Contains($"seq {seq}", error, StringComparison.Ordinal);
        Assert.Single(problem.GetProperty("errors").EnumerateObject());
        Assert.Equal(1, app.Services.GetRequiredService<EventStore>().Count());
    }
}
