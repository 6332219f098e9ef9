using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// Endpoints that read no body refuse one with content (400 naming the field, nothing changed) instead of answering 200 and
/// dropping it; an empty body or <c>{}</c> is still fine.
/// </summary>
public sealed class NoBodyTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string path, string? json)
    {
        using var response = await client.PostAsync(path, json is null ? null : Variants.Json(json));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Acknowledge_WithFeedbackInTheBody_Is400NamingIt_AndTheBriefStaysUnacknowledged()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var carla = await app.ClientAsync("csm", "carla");
        using (var assigned = await app.Client.PutAsync("/v1/csms/carla/accounts", Variants.Json("""{"accounts":["acme"]}""")))
            Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        var brief = await app.AtRiskBriefAsync("acme", "delivered");

        // Before, 200 with "useful": null: the CSM's "not useful" was dropped without a word.
        var (status, problem) = await PostAsync(carla, $"/v1/briefs/{brief}/acknowledge", """{"useful":false,"note":"wrong customer"}""");
        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status} {problem}");
        var message = problem.GetProperty("errors").GetProperty("useful")[0].GetString()!;
        Assert.Contains("/feedback", message, StringComparison.Ordinal);
        var (_, unread) = await PostAsync(carla, "/v1/briefs/" + brief + "/acknowledge", "{ }");
        Assert.Equal(JsonValueKind.Null, unread.GetProperty("myResponse").GetProperty("useful").ValueKind);
        // The refused call recorded nothing: the acknowledgement above is the first, at one audit record.
        var audit = await app.GetJsonAsync($"/v1/audit?action=brief.acknowledged&subject=brief:{brief}");
        Assert.Equal(1, audit.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task ShadowAndRollback_WithABody_Are400_AndNothingChanges()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (status, problem) = await PostAsync(app.Client, "/v1/agents/renewal-risk/versions/1.0.1/shadow", """{"version":"0.9.0"}""");
        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status} {problem}");
        Assert.True(problem.GetProperty("errors").TryGetProperty("version", out _), problem.ToString());
        (status, problem) = await PostAsync(app.Client, "/v1/agents/renewal-risk/rollback", "[1]");
        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status} {problem}");
        Assert.True(problem.GetProperty("errors").TryGetProperty("$", out _), problem.ToString());
        // Without a body each is answered on its merits (the active version is not shadowed; nothing to roll back to).
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(app.Client, "/v1/agents/renewal-risk/versions/1.0.1/shadow", null)).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(app.Client, "/v1/agents/renewal-risk/rollback", "")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(app.Client, "/v1/agents/renewal-risk/rollback", " null ")).Status);
    }

    /// <summary>A body of any type is refused as a body, not as its type (README: 415 is for endpoints that read one).</summary>
    [Fact]
    public async Task Rollback_WithATextPlainBody_Is400TakesNoBody_Not415()
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var response = await app.Client.PostAsync("/v1/agents/renewal-risk/rollback", new StringContent("please", System.Text.Encoding.UTF8, "text/plain"));

        var errors = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.StartsWith("This endpoint takes no body.", errors.GetProperty("$")[0].GetString(), StringComparison.Ordinal);
    }

    /// <summary>qa45b F2: unregister is final; a client meaning to retire one version with <c>{"version":…}</c> unregistered the whole agent.</summary>
    [Fact]
    public async Task Unregister_WithABody_Is400NamingItsField_AndTheAgentStaysActive()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/v1/agents/renewal-risk") { Content = Variants.Json("""{"version":"1.0.1"}""") };

        using var response = await app.Client.SendAsync(request);

        var message = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("version")[0].GetString()!;
        Assert.Contains("promote another or roll back", message, StringComparison.Ordinal);
        var agent = await app.GetJsonAsync("/v1/agents/renewal-risk");
        Assert.Equal("1.0.1", agent.GetProperty("activeVersion").GetString());
    }

    /// <summary>Every DELETE reads no body: what a body says (a reason, a flag) would be dropped, the deletion done.</summary>
    [Theory]
    [InlineData("/v1/jobs/job_0123456789abcdef", """{"reason":"wrong set"}""", "reason")]
    [InlineData("/v1/cases/upload:mine", """{"keepReports":true}""", "keepReports")]
    [InlineData("/v1/knowledge/documents/renewal-playbook", """{"keepCitations":true}""", "keepCitations")]
    [InlineData("/v1/webhooks/wh_0123456789", "[1]", "$")]
    public async Task Delete_WithABody_Is400NamingItsField(string path, string body, string field)
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Delete, path) { Content = Variants.Json(body) };

        using var response = await app.Client.SendAsync(request);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal("Nothing was changed.", problem.GetProperty("detail").GetString());
    }
}
