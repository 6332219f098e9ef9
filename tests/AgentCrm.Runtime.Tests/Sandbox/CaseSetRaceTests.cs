using System.Net;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>Two adds of one case set name with different files, a removal and an evaluation on it, all at once.</summary>
public sealed class CaseSetRaceTests
{
    [Fact]
    public async Task AddAddRemoveEvaluate_OfOneName_Racing_NeverAMixedSet_AndEveryJobEnds()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await Variants.RegisterAsync(app, "2.0.0");
        var (a, aLabels) = CaseFiles.Timeline(60, DateTimeOffset.UtcNow.AddDays(-1));
        var (b, bLabels) = CaseFiles.Timeline(80, DateTimeOffset.UtcNow.AddDays(-2));
        var problems = new List<string>();
        var jobs = new List<string>();
        for (var round = 0; round < 15; round++)
        {
            var answers = await Task.WhenAll(
                Task.Run(() => app.Client.PostAsync("/v1/cases/racy", CaseFiles.Upload(a, aLabels))),
                Task.Run(() => app.Client.PostAsync("/v1/cases/racy", CaseFiles.Upload(b, bLabels))),
                Task.Run(() => app.Client.DeleteAsync("/v1/cases/racy")),
                Task.Run(() => app.Client.PostAsync("/v1/agents/renewal-risk/versions/2.0.0/evaluate", Variants.Json("""{"caseSet":"racy"}"""))));
            problems.AddRange(await answers[..3].RaceProblemsAsync($"round {round}"));
            // An evaluation that finds no set is refused naming caseSet (400); otherwise it is accepted.
            if (answers[3].StatusCode == HttpStatusCode.Accepted)
                jobs.Add(answers[3].Headers.Location!.OriginalString);
            else if (answers[3].StatusCode != HttpStatusCode.BadRequest)
                problems.Add($"round {round}: evaluate → {(int)answers[3].StatusCode} {await answers[3].Content.ReadAsStringAsync()}");
            var racy = (await app.GetJsonAsync("/v1/cases?limit=500")).GetProperty("items").EnumerateArray().Where(s => s.GetProperty("name").GetString() == "racy").ToList();
            if (racy.Count == 1 && racy[0].GetProperty("cases").GetInt32() is not (60 or 80))
                problems.Add($"round {round}: a mixed set {racy[0]}");
            await app.Client.DeleteAsync("/v1/cases/racy");
        }
        foreach (var job in jobs)
            for (var i = 0; ; i++)
            {
                var state = (await app.GetJsonAsync(job)).GetProperty("state").GetString();
                if (state != "running")
                {
                    if (state is not ("succeeded" or "failed"))
                        problems.Add($"{job} ended {state}");
                    break;
                }
                Assert.True(i < 1200, $"Expected {job} to end within 60 s.");
                await Task.Delay(50);
            }
        Assert.Empty(problems);
    }
}
