using System.Net;

namespace AgentCrm.Runtime.Tests.Reviews;

/// <summary>Two vetoes and an approval of one held brief, by three reviewers at once.</summary>
public sealed class ReviewRaceTests
{
    [Fact]
    public async Task VetoVetoAndApprove_Racing_OneWins_TheOthersGet409_OneVerdictIsAudited()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await Variants.RegisterAsync(app, "2.0.0", m => { m["vetoPolicy"] = "reviewBeforeDelivery"; m["threshold"] = 0; });
        await app.EvaluateAndPromoteAsync("renewal-risk", "2.0.0");
        await app.PostEventsAsync(Enumerable.Range(0, 30).Select(i => Ev.Make($"rv-{i}", "usage", DateTimeOffset.UtcNow.AddMinutes(-1), new { quantity = 5 })));
        await app.WaitForProcessingAsync();
        var briefs = (await app.BriefsAsync("&agentId=renewal-risk&status=pendingReview")).Select(b => b.GetProperty("id").GetString()!).ToList();
        Assert.NotEmpty(briefs);
        var reviewers = new List<HttpClient>();
        for (var i = 0; i < 3; i++)
            reviewers.Add(await app.ClientAsync("reviewer", $"rev-{i}"));
        var problems = new List<string>();
        foreach (var id in briefs)
        {
            var answers = await Task.WhenAll(
                Task.Run(() => reviewers[0].PostAsync($"/v1/briefs/{id}/veto", Variants.Json("""{"reason":"wrong"}"""))),
                Task.Run(() => reviewers[1].PostAsync($"/v1/briefs/{id}/veto", Variants.Json("""{"reason":"also wrong"}"""))),
                Task.Run(() => reviewers[2].PostAsync($"/v1/briefs/{id}/approve", Variants.Json("{}"))));
            problems.AddRange(await answers.RaceProblemsAsync(id));
            if (answers.Count(r => r.IsSuccessStatusCode) != 1 || answers.Count(r => r.StatusCode == HttpStatusCode.Conflict) != 2)
                problems.Add($"{id}: answers {string.Join(", ", answers.Select(r => (int)r.StatusCode))}");
            var verdicts = (await app.GetJsonAsync($"/v1/audit?subject=brief:{id}")).GetProperty("items").EnumerateArray()
                .Count(r => r.GetProperty("action").GetString() is "brief.vetoed" or "brief.approved");
            if (verdicts != 1)
                problems.Add($"{id}: {verdicts} verdict records");
        }
        Assert.Empty(problems);
        using var verify = await app.Client.PostAsync("/v1/audit/verify", null);
        Assert.Contains("\"ok\":true", await verify.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
