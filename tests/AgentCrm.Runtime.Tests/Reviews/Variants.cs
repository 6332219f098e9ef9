using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.Reviews;

/// <summary>New versions of the built-in renewal-risk agent with some manifest fields changed.</summary>
public static class Variants
{
    public static async Task RegisterAsync(AgentCrmApp app, string version, Action<JsonObject>? change = null)
    {
        var agent = await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.0.1");
        var manifest = JsonNode.Parse(agent.GetProperty("manifest").GetRawText())!.AsObject();
        manifest["version"] = version;
        // The hand-weighted built-in reads live signals the churn case sets lack; these tests are about reviews, not the gate.
        manifest["gate"] = new JsonObject { ["minCases"] = 1, ["minPrecision"] = 0, ["minRecall"] = 0 };
        // One brief per customer in these tests: no re-brief when a later event raises the score.
        manifest["parameters"] = new JsonObject { ["rescoreRise"] = 1 };
        change?.Invoke(manifest);
        using var response = await app.Client.PostAsync("/v1/agents", new StringContent(manifest.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
