using System.Text.Json;
using AgentCrm.Briefs;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// An agent's health counts its versions' briefs by state and how many are explained. Read from the briefs' bodies, that
/// took 1.2–1.5 s at 57,000 briefs and grew with the history (qa21a); read from an index it reads no body at all.
/// </summary>
public sealed class HealthCountsPlanTests
{
    [Fact]
    public async Task HealthBriefCounts_ComeFromTheCountsIndexAlone_AndMatchTheBriefs()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync([.. Timelines.AtRisk("counts-1", now), .. Timelines.AtRisk("counts-2", now)]);
        await app.WaitForProcessingAsync();

        using var connection = app.Services.GetRequiredService<AgentCrm.Storage.SqliteDatabase>().Open();
        using var counts = connection.CreateCommand();
        counts.CommandText = BriefStore.CountsSql;
        counts.Parameters.AddWithValue("$a", "renewal-risk");
        Assert.Contains("SEARCH briefs USING COVERING INDEX briefs_version_counts (agent_id=?)", SqliteQueries.Plan(counts));

        var briefs = await app.BriefsAsync("&agentId=renewal-risk");
        using var health = JsonDocument.Parse(await app.Client.GetStringAsync("/v1/agents/renewal-risk/health"));
        var version = health.RootElement.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetString() == "1.0.0");
        Assert.NotEmpty(briefs);
        Assert.Equal(briefs.Count, version.GetProperty("briefs").GetInt64());
        Assert.Equal(briefs.Count, version.GetProperty("briefStates").GetProperty("delivered").GetInt64());
    }
}
