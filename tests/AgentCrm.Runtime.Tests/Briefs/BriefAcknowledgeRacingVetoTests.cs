using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Reviews;
using AgentCrm.Runtime.Tests.Webhooks;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// qa37a #2: an acknowledgement and a veto of the same delivered brief, sent together. Whether the acknowledgement covers the
/// retraction follows the order the writes were applied in: a veto applied first makes it an acknowledgement of the
/// retraction, answered <c>retracted</c>; a veto applied after it puts the brief back in the CSM's inbox with
/// <c>retractedSince</c>. It was decided by times taken before the writes were queued, and the answer was the brief as read
/// before them: the CSM was told "delivered" while the retraction counted as acknowledged, and the brief never came back.
/// The writer is held (a slow disk) while both queue, so the order is forced, not hoped for.
/// </summary>
public sealed class BriefAcknowledgeRacingVetoTests
{
    [Fact]
    public async Task Acknowledge_AppliedJustAfterAVeto_AnswersRetracted_AndCoversTheRetraction()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var carla = await app.ClientAsync("csm", "carla");
        using var rita = await app.ClientAsync("reviewer", "rita");
        var id = await DeliveredAsync(app);

        var (vetoed, acked) = await InOrderAsync(app,
            () => SendAsync(rita, $"/v1/briefs/{id}/veto", """{"reason":"renewed by phone"}"""),
            () => SendAsync(carla, $"/v1/briefs/{id}/acknowledge"));

        Assert.Equal("retracted", vetoed.GetProperty("status").GetString());
        Assert.True(acked.GetProperty("status").GetString() == "retracted", $"the acknowledgement was applied after the veto, yet it answered {acked}");
        Assert.False(acked.GetProperty("myResponse").GetProperty("retractedSince").GetBoolean(), acked.ToString());
        var seen = await GetAsync(carla, $"/v1/briefs/{id}");
        Assert.False(seen.GetProperty("myResponse").GetProperty("retractedSince").GetBoolean(), seen.ToString());
        Assert.DoesNotContain(id, await IdsAsync(carla, "?acknowledged=false"));
    }

    [Fact]
    public async Task Acknowledge_AppliedJustBeforeAVeto_AnswersDelivered_AndTheBriefComesBackToTheInbox()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var carla = await app.ClientAsync("csm", "carla");
        using var rita = await app.ClientAsync("reviewer", "rita");
        var id = await DeliveredAsync(app);

        var (acked, vetoed) = await InOrderAsync(app,
            () => SendAsync(carla, $"/v1/briefs/{id}/acknowledge"),
            () => SendAsync(rita, $"/v1/briefs/{id}/veto", """{"reason":"renewed by phone"}"""));

        Assert.Equal("retracted", vetoed.GetProperty("status").GetString());
        Assert.Equal("delivered", acked.GetProperty("status").GetString());
        var seen = await GetAsync(carla, $"/v1/briefs/{id}");
        Assert.True(seen.GetProperty("myResponse").GetProperty("retractedSince").GetBoolean(), seen.ToString());
        Assert.Contains(id, await IdsAsync(carla, "?acknowledged=false"));
    }

    /// <summary>
    /// The server's clock stepped back after a veto: an acknowledgement applied after the veto, at an earlier time, still
    /// covers the retraction (it was taken for one from before it, back in the inbox after every acknowledgement again).
    /// </summary>
    [Fact]
    public async Task Acknowledge_AfterAVeto_WithTheClockSteppedBack_CoversTheRetraction()
    {
        var clock = new WebhookDisableTests.ShiftedClock();
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.AddSingleton<TimeProvider>(clock));
        using var carla = await app.ClientAsync("csm", "carla");
        using var rita = await app.ClientAsync("reviewer", "rita");
        var id = await DeliveredAsync(app);
        var vetoed = await SendAsync(rita, $"/v1/briefs/{id}/veto", """{"reason":"renewed by phone"}""");
        Assert.Equal("retracted", vetoed.GetProperty("status").GetString());

        clock.Shift = TimeSpan.FromMinutes(-10);
        var acked = await SendAsync(carla, $"/v1/briefs/{id}/acknowledge");

        Assert.Equal("retracted", acked.GetProperty("status").GetString());
        var seen = await GetAsync(carla, $"/v1/briefs/{id}");
        Assert.True(seen.GetProperty("myResponse").GetProperty("acknowledgedAt").GetDateTimeOffset() < vetoed.GetProperty("review").GetProperty("at").GetDateTimeOffset(),
            $"the clock was stepped back: {seen}");
        Assert.False(seen.GetProperty("myResponse").GetProperty("retractedSince").GetBoolean(), seen.ToString());
        Assert.DoesNotContain(id, await IdsAsync(carla, "?acknowledged=false"));
    }

    /// <summary>
    /// A build from before the acknowledged status writes the time alone: an acknowledgement again after the retraction, and
    /// another CSM's first one, applied after the veto at a time taken before it (its race). The triggers record the status
    /// the brief had as each was applied, so both cover the retraction.
    /// </summary>
    [Fact]
    public async Task AnOlderBuildsAcknowledgements_AfterAVeto_CoverTheRetraction()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var carla = await app.ClientAsync("csm", "carla");
        using var dora = await app.ClientAsync("csm", "dora");
        using var rita = await app.ClientAsync("reviewer", "rita");
        var id = await DeliveredAsync(app);
        using (var assigned = await app.Client.PutAsync("/v1/csms/dora/accounts", Variants.Json("""{"accounts":["acme"]}""")))
            Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        await SendAsync(carla, $"/v1/briefs/{id}/acknowledge");
        var vetoed = await SendAsync(rita, $"/v1/briefs/{id}/veto", """{"reason":"renewed by phone"}""");
        Assert.True((await GetAsync(carla, $"/v1/briefs/{id}")).GetProperty("myResponse").GetProperty("retractedSince").GetBoolean());

        var decided = vetoed.GetProperty("review").GetProperty("at").GetDateTimeOffset();
        using (var connection = app.Services.GetRequiredService<SqliteDatabase>().Open())
        using (var write = connection.CreateCommand())
        {
            write.CommandText = """
                UPDATE brief_responses SET acknowledged_at = $now WHERE brief_id = $id AND responder = 'carla';
                INSERT INTO brief_responses (brief_id, responder, agent_id, agent_version, acknowledged_at)
                    SELECT brief_id, 'dora', agent_id, agent_version, $before FROM brief_responses WHERE brief_id = $id AND responder = 'carla';
                """;
            write.Parameters.AddWithValue("$id", id);
            write.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToString("O"));
            write.Parameters.AddWithValue("$before", decided.AddSeconds(-1).ToString("O"));
            Assert.Equal(2, write.ExecuteNonQuery());
        }

        foreach (var (csm, client) in new[] { ("carla", carla), ("dora", dora) })
        {
            var seen = await GetAsync(client, $"/v1/briefs/{id}");
            Assert.False(seen.GetProperty("myResponse").GetProperty("retractedSince").GetBoolean(), $"{csm}: {seen.GetProperty("myResponse")}");
            Assert.DoesNotContain(id, await IdsAsync(client, "?acknowledged=false"));
        }
    }

    /// <summary>A delivered brief, inside its veto window, of acme's, which is carla's.</summary>
    private static async Task<string> DeliveredAsync(AgentCrmApp app)
    {
        using (var assigned = await app.Client.PutAsync("/v1/csms/carla/accounts", Variants.Json("""{"accounts":["acme"]}""")))
            Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        return await app.AtRiskBriefAsync("acme", "delivered");
    }

    /// <summary>
    /// Sends <paramref name="first"/>, then <paramref name="second"/> once the first's write waits behind a held writer, then
    /// lets the writer go: the writes are applied in that order. Answers both bodies (each answered 200).
    /// </summary>
    private static async Task<(JsonElement First, JsonElement Second)> InOrderAsync(AgentCrmApp app, Func<Task<JsonElement>> first, Func<Task<JsonElement>> second)
    {
        using var gate = new ManualResetEventSlim(false);
        var writer = app.Services.GetRequiredService<SqliteWriter>();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var busy = writer.WriteAsync(_ =>
        {
            running.TrySetResult();
            gate.Wait(TimeSpan.FromSeconds(60));
        });
        await running.Task.WaitAsync(TimeSpan.FromMinutes(1));
        var waiting = writer.Queued;
        var firstSent = first();
        await QueuedAsync(writer, waiting + 1);
        var secondSent = second();
        await QueuedAsync(writer, waiting + 2);
        gate.Set();
        await busy;
        return (await firstSent, await secondSent);
    }

    private static async Task QueuedAsync(SqliteWriter writer, int count)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (writer.Queued < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"expected {count} writes waiting behind the held one, {writer.Queued} after a minute");
            await Task.Delay(10);
        }
    }

    private static async Task<JsonElement> SendAsync(HttpClient client, string path, string? json = null)
    {
        using var response = await client.PostAsync(path, json is null ? null : Variants.Json(json));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<List<string>> IdsAsync(HttpClient client, string query) =>
        [.. (await GetAsync(client, "/v1/briefs" + query)).GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()!)];
}
