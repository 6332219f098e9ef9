using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Runtime.Tests.Sandbox;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>
/// A fitted model's manifest runs to megabytes (compliance-check's is 2.3 MB): lists of versions carry each version's
/// state and hash but not its manifest, which one version's own address gives in full. Thirty fitted versions made
/// <c>GET /v1/agents?limit=1</c> a 63 MB answer and took the server from 0.8 to 3.3 GB (qa21a).
/// </summary>
public sealed class AgentVersionManifestTests
{
    [Fact]
    public async Task ListsOfVersions_LeaveTheManifestOut_OneVersionsAddressGivesItInFull()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var reader = await app.ClientAsync("csm");

        using var list = JsonDocument.Parse(await reader.GetStringAsync("/v1/agents"));
        using var agent = JsonDocument.Parse(await reader.GetStringAsync("/v1/agents/compliance-check"));
        using var version = JsonDocument.Parse(await reader.GetStringAsync("/v1/agents/compliance-check/versions/1.0.0"));
        using var missing = await reader.GetAsync("/v1/agents/compliance-check/versions/9.9.9");

        var listed = list.RootElement.GetProperty("items").EnumerateArray().SelectMany(a => a.GetProperty("versions").EnumerateArray()).ToList();
        Assert.NotEmpty(listed);
        Assert.All(listed, v => Assert.False(v.TryGetProperty("manifest", out _), "a list of versions carried a manifest"));
        var one = Assert.Single(agent.RootElement.GetProperty("versions").EnumerateArray());
        Assert.False(one.TryGetProperty("manifest", out _));
        Assert.Equal("active", one.GetProperty("state").GetString());
        Assert.Equal(one.GetProperty("contentHash").GetString(), version.RootElement.GetProperty("contentHash").GetString());
        var manifest = version.RootElement.GetProperty("manifest");
        Assert.Equal("compliance-check", manifest.GetProperty("id").GetString());
        Assert.True(manifest.GetProperty("parameters").GetRawText().Length > 100_000, "the fitted model's parameters were not in the version's manifest");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("9.9.9", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisterShadowPromoteRollback_AnswerTheVersionWithoutItsManifest_ItsAddressKeepsIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (ndjson, labels) = CaseFiles.Timeline(240, DateTimeOffset.UtcNow.AddDays(-1));
        using (var added = await app.Client.PostAsync("/v1/cases/hand-timeline", CaseFiles.Upload(ndjson, labels)))
            Assert.True(added.StatusCode == HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
        var manifest = JsonNode.Parse((await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.0.1")).GetProperty("manifest").GetRawText())!.AsObject();
        manifest["version"] = "1.5.0";
        manifest["gate"] = new JsonObject { ["minCases"] = 1, ["minPrecision"] = 0, ["minRecall"] = 0 };

        var registered = await AnswerAsync(await app.Client.PostAsync("/v1/agents", new StringContent(manifest.ToJsonString(), Encoding.UTF8, "application/json")), HttpStatusCode.Created);
        var again = await AnswerAsync(await app.Client.PostAsync("/v1/agents", new StringContent(manifest.ToJsonString(), Encoding.UTF8, "application/json")), HttpStatusCode.OK);
        var shadow = await AnswerAsync(await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.5.0/shadow", null), HttpStatusCode.OK);
        await app.EvaluateAsync("renewal-risk", "1.5.0", "hand-timeline");
        var promoted = await AnswerAsync(await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.5.0/promote", new StringContent("{}", Encoding.UTF8, "application/json")), HttpStatusCode.OK);
        var rolledBack = await AnswerAsync(await app.Client.PostAsync("/v1/agents/renewal-risk/rollback", null), HttpStatusCode.OK);

        var answers = new[] { ("register", registered, "registered"), ("register again", again, "registered"), ("shadow", shadow, "shadow"), ("promote", promoted, "active"), ("rollback", rolledBack, "active") };
        foreach (var (action, answer, state) in answers)
        {
            Assert.False(answer.TryGetProperty("manifest", out _), $"{action} answered the manifest");
            Assert.Equal(state, answer.GetProperty("state").GetString());
            Assert.False(string.IsNullOrEmpty(answer.GetProperty("contentHash").GetString()), $"{action} answered no contentHash");
        }
        Assert.Equal(("1.5.0", "1.0.1"), (promoted.GetProperty("version").GetString(), rolledBack.GetProperty("version").GetString()));
        Assert.Equal("1.5.0", (await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.5.0")).GetProperty("manifest").GetProperty("version").GetString());
    }

    private static async Task<JsonElement> AnswerAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{response.RequestMessage!.RequestUri}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
            return JsonDocument.Parse(text).RootElement.Clone();
        }
    }
}
