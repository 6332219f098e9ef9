using System.Net;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>A version in shadow is live but delivers nothing: the counts that show it say which they count (qa27).</summary>
public sealed class ShadowVersionCountsTests
{
    [Fact]
    public async Task Readyz_WithAShadowVersion_CountsActiveAgentsApartFromLiveVersionsByState()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await Variants.RegisterAsync(app, "1.1.0");
        using (var shadow = await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.1.0/shadow", null))
            Assert.True(shadow.IsSuccessStatusCode, await shadow.Content.ReadAsStringAsync());

        var ready = await app.GetJsonAsync("/readyz");

        Assert.Equal(AgentsApiTests.BuiltInIds.Length, ready.GetProperty("activeAgents").GetInt32());
        var live = ready.GetProperty("liveVersions");
        Assert.Equal(AgentsApiTests.BuiltInIds.Length, live.GetProperty("active").GetInt32());
        Assert.Equal(1, live.GetProperty("shadow").GetInt32());
        Assert.Equal(AgentsApiTests.BuiltInIds.Length + 1, live.EnumerateObject().Sum(p => p.Value.GetInt32()));
    }

    [Fact]
    public async Task Health_OfAShadowVersion_TotalCountsEveryStateShown_AsBriefsDoes()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await Variants.RegisterAsync(app, "1.1.0");
        using (var shadow = await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.1.0/shadow", null))
            Assert.True(shadow.IsSuccessStatusCode, await shadow.Content.ReadAsStringAsync());
        var posted = await app.PostEventsAsync(Timelines.AtRisk("shadowed", DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        await app.WaitForProcessingAsync();

        var versions = (await app.GetJsonAsync("/v1/agents/renewal-risk/health")).GetProperty("versions").EnumerateArray()
            .ToDictionary(v => v.GetProperty("version").GetString()!);

        var inShadow = versions["1.1.0"];
        var states = inShadow.GetProperty("briefStates");
        Assert.Equal(1, states.GetProperty("shadow").GetInt64());
        Assert.Equal(1, inShadow.GetProperty("briefs").GetInt64());
        Assert.Equal(1, states.GetProperty("total").GetInt64());
        // The rates' denominator: briefs a reviewer or CSM can see, which a shadow brief is not.
        Assert.Equal(0, states.GetProperty("reviewable").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, inShadow.GetProperty("vetoRate").ValueKind);
        foreach (var version in versions.Values)
        {
            var counts = version.GetProperty("briefStates");
            var shown = new[] { "delivered", "pending", "vetoed", "retracted", "shadow" }.Sum(s => counts.GetProperty(s).GetInt64());
            Assert.Equal(shown, counts.GetProperty("total").GetInt64());
            Assert.Equal(version.GetProperty("briefs").GetInt64(), counts.GetProperty("total").GetInt64());
        }
        var delivering = versions["1.0.1"].GetProperty("briefStates");
        Assert.True(delivering.GetProperty("delivered").GetInt64() >= 1, delivering.ToString());
        Assert.Equal(new[] { "delivered", "pending", "vetoed", "retracted" }.Sum(s => delivering.GetProperty(s).GetInt64()), delivering.GetProperty("reviewable").GetInt64());
    }
}
