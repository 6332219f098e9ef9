using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Intake;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Intake;

/// <summary>
/// occurredAt with 8 or 9 fractional digits (Go's RFC3339Nano, Java's Instant): the intake keeps 7 (what a DateTimeOffset
/// holds), and the stored body, which keeps all 9, must read back to that same instant — a retry is a duplicate, and an
/// event read from the inbox (restart, overflow, dead-letter replay) carries the live path's time.
/// </summary>
public sealed class NanoTimestampTests
{
    /// <summary>An hour ago to the second, with nine fractional digits whose eighth rounds the seventh up (…4567|89).</summary>
    private static string NanoTime() =>
        DateTimeOffset.UtcNow.AddHours(-1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + ".123456789Z";

    private static StringContent Body(string id, string occurredAt) => new(
        $$"""{"id":"{{id}}","customerId":"nano-c","type":"login","occurredAt":"{{occurredAt}}"}""", Encoding.UTF8, "application/json");

    [Fact]
    public async Task PostEvents_SameNanoEventRetried_IsADuplicate()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var at = NanoTime();
        using var first = await app.Client.PostAsync("/v1/events", Body("nano-1", at));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        // The client's retry of the very same event (its 202 was lost): a duplicate, not "occurredAt differs".
        using var retry = await app.Client.PostAsync("/v1/events", Body("nano-1", at));
        var text = await retry.Content.ReadAsStringAsync();
        Assert.True(retry.StatusCode == HttpStatusCode.Accepted, $"{(int)retry.StatusCode}: {text}");
        var answer = JsonDocument.Parse(text).RootElement;
        Assert.Equal(0, answer.GetProperty("accepted").GetInt32());
        Assert.Equal(1, answer.GetProperty("duplicates").GetInt32());
    }

    [Fact]
    public async Task ReadAfter_NanoEvent_HasTheParsersOccurredAt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var at = NanoTime();
        using var first = await app.Client.PostAsync("/v1/events", Body("nano-2", at));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.True(EventParser.TryParseTimestamp(at, out var accepted));

        // What the dispatcher reads after a restart (events above the watermark) or past its in-memory queue, and a replay.
        var read = Assert.Single(app.Services.GetRequiredService<EventStore>().ReadAfter(0, 10).Events);
        Assert.Equal(accepted, read.Event.OccurredAt);
        Assert.Equal(accepted.UtcTicks, read.Event.OccurredAt.UtcTicks);
    }

    [Fact]
    public async Task Restart_NanoEventAboveTheWatermark_IsProcessed()
    {
        var dir = TempDirectory.Create();
        var at = NanoTime();
        await using (var first = await AgentCrmApp.StartAsync(dir))
        {
            using var r = await first.Client.PostAsync("/v1/events", Body("nano-3", at));
            Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
            await first.WaitForProcessingAsync();
        }
        // A crash before the watermark was saved: the event is above it again, read back from the inbox.
        SqliteConnection.ClearAllPools();
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=false"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE meta SET value = '0' WHERE key = 'dispatch.watermark'";
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        await using var second = await AgentCrmApp.StartAsync(dir);
        await second.WaitForProcessingAsync();
        Assert.Empty((await second.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal(1, await second.CustomerFieldAsync("nano-c", "events.total"));
    }
}
