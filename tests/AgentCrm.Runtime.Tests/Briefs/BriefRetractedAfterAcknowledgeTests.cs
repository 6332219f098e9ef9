using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// A brief retracted after a CSM acknowledged it, over real HTTP: the earlier acknowledgement does not cover the retraction,
/// so the brief is back in their inbox (<c>acknowledged=false</c>, <c>myResponse.retractedSince</c>) until they acknowledge
/// it again, which records a new time and a new audit record (qa36d #2: it stayed out of the inbox, the old time kept).
/// </summary>
public sealed class BriefRetractedAfterAcknowledgeTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient client, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : Variants.Json(json) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static async Task<List<string>> ListAsync(HttpClient client, string query)
    {
        var (status, body) = await SendAsync(client, HttpMethod.Get, "/v1/briefs" + query);
        Assert.True(status == HttpStatusCode.OK, $"GET /v1/briefs{query}: {(int)status} {body}");
        return body.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToList();
    }

    private static async Task<int> AuditCountAsync(AgentCrmApp app, string action, string briefId) =>
        (await app.GetJsonAsync($"/v1/audit?action={action}&subject=brief:{briefId}")).GetProperty("items").GetArrayLength();

    [Fact]
    public async Task ABriefRetractedAfterItWasAcknowledged_IsBackInTheInbox_UntilAcknowledgedAgain_AtANewTime()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var carla = await app.ClientAsync("csm", "carla");
        using var rita = await app.ClientAsync("reviewer", "rita");
        using (var assigned = await app.Client.PutAsync("/v1/csms/carla/accounts", Variants.Json("""{"accounts":["acme"]}""")))
            Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        var id = await app.AtRiskBriefAsync("acme", "delivered");
        var (status, first) = await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{id}/feedback", """{"useful":true,"note":"called them"}""");
        Assert.True(status == HttpStatusCode.OK, first.ToString());
        var firstAt = first.GetProperty("myResponse").GetProperty("acknowledgedAt").GetDateTimeOffset();
        Assert.False(first.GetProperty("myResponse").GetProperty("retractedSince").GetBoolean());
        Assert.DoesNotContain(id, await ListAsync(carla, "?acknowledged=false"));
        await Task.Delay(20);

        var (vetoed, retracted) = await SendAsync(rita, HttpMethod.Post, $"/v1/briefs/{id}/veto", """{"reason":"renewed by phone"}""");
        Assert.True(vetoed == HttpStatusCode.OK, retracted.ToString());
        Assert.Equal("retracted", retracted.GetProperty("status").GetString());

        // Back in her inbox, out of her acknowledged list; her response says the retraction came after it, feedback kept.
        Assert.Contains(id, await ListAsync(carla, "?acknowledged=false"));
        Assert.DoesNotContain(id, await ListAsync(carla, "?acknowledged=true"));
        var (_, seen) = await SendAsync(carla, HttpMethod.Get, $"/v1/briefs/{id}");
        var stale = seen.GetProperty("myResponse");
        Assert.True(stale.GetProperty("retractedSince").GetBoolean(), stale.ToString());
        Assert.Equal(firstAt, stale.GetProperty("acknowledgedAt").GetDateTimeOffset());
        Assert.True(stale.GetProperty("useful").GetBoolean());

        await Task.Delay(20);
        var (again, acknowledged) = await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{id}/acknowledge");
        Assert.True(again == HttpStatusCode.OK, acknowledged.ToString());
        var mine = acknowledged.GetProperty("myResponse");
        var secondAt = mine.GetProperty("acknowledgedAt").GetDateTimeOffset();
        Assert.True(secondAt > retracted.GetProperty("review").GetProperty("at").GetDateTimeOffset(), mine.ToString());
        Assert.False(mine.GetProperty("retractedSince").GetBoolean());
        Assert.Equal("called them", mine.GetProperty("note").GetString());
        Assert.DoesNotContain(id, await ListAsync(carla, "?acknowledged=false"));
        Assert.Equal([id], await ListAsync(carla, "?acknowledged=true"));

        // A repeat keeps the second time and records nothing; each acknowledgement has its record; the health still counts one
        // acknowledged brief with one "useful" (the same response, acknowledged again).
        var (_, repeat) = await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{id}/acknowledge");
        Assert.Equal(secondAt, repeat.GetProperty("myResponse").GetProperty("acknowledgedAt").GetDateTimeOffset());
        Assert.Equal(2, await AuditCountAsync(app, "brief.acknowledged", id));
        // Each record says what it acknowledged: the delivered brief, then its retraction (newest first).
        var records = (await app.GetJsonAsync($"/v1/audit?action=brief.acknowledged&subject=brief:{id}")).GetProperty("items");
        Assert.Equal(["retracted", "delivered"], records.EnumerateArray().Select(r => r.GetProperty("data").GetProperty("status").GetString()));
        Assert.Equal(1, await AuditCountAsync(app, "brief.feedback", id));
        var health = await app.GetJsonAsync("/v1/agents/renewal-risk/health");
        var responses = health.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetString() == "1.0.1").GetProperty("csmResponses");
        Assert.Equal((1L, 1L), (responses.GetProperty("acknowledgedBriefs").GetInt64(), responses.GetProperty("useful").GetInt64()));
    }

    [Fact]
    public async Task FeedbackOnABriefRetractedAfterItWasAcknowledged_AcknowledgesTheRetractionToo()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var carla = await app.ClientAsync("csm", "carla");
        using (var assigned = await app.Client.PutAsync("/v1/csms/carla/accounts", Variants.Json("""{"accounts":["acme"]}""")))
            Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        var id = await app.AtRiskBriefAsync("acme", "delivered");
        var (acked, _) = await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{id}/acknowledge");
        Assert.Equal(HttpStatusCode.OK, acked);
        await Task.Delay(20);
        using (var vetoed = await app.Client.PostAsync($"/v1/briefs/{id}/veto", Variants.Json("""{"reason":"renewed by phone"}""")))
            Assert.Equal(HttpStatusCode.OK, vetoed.StatusCode);
        Assert.Contains(id, await ListAsync(carla, "?acknowledged=false"));

        var (status, body) = await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{id}/feedback", """{"useful":false}""");

        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.False(body.GetProperty("myResponse").GetProperty("retractedSince").GetBoolean(), body.ToString());
        Assert.DoesNotContain(id, await ListAsync(carla, "?acknowledged=false"));
        Assert.Equal(2, await AuditCountAsync(app, "brief.acknowledged", id));
    }
}
