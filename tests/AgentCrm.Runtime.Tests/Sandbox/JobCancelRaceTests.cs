using System.Net;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>Two ops keys cancelling one running job at once: one cancel is recorded and answered 200, the other is told who won.</summary>
public sealed class JobCancelRaceTests
{
    [Fact]
    public async Task TwoCancelsOfOneJob_Racing_OneIsAnswered200AndAudited_TheOther409NamingTheFirst()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await Variants.RegisterAsync(app, "2.0.0");
        HttpClient[] keys = [await app.ClientAsync("ops", "ops-a"), await app.ClientAsync("ops", "ops-b")];
        var problems = new List<string>();
        var raced = 0;
        for (var round = 0; round < 8; round++)
        {
            using var start = await app.Client.PostAsync("/v1/agents/renewal-risk/versions/2.0.0/evaluate", Variants.Json("""{"caseSet":"telco-churn"}"""));
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
            var job = start.Headers.Location!.OriginalString;
            var answers = await Task.WhenAll(keys.Select(k => Task.Run(() => k.DeleteAsync(job))));
            problems.AddRange(await answers.RaceProblemsAsync($"round {round}"));
            var final = await app.GetJsonAsync(job);
            if (final.GetProperty("state").GetString() != "cancelled")
                continue;
            raced++;
            var id = job.Split('/')[^1];
            var audited = (await app.GetJsonAsync("/v1/audit?action=job.cancelled&limit=500")).GetProperty("items").EnumerateArray()
                .Where(r => r.GetProperty("subject").GetString()!.Contains(id, StringComparison.Ordinal)).Select(r => r.GetProperty("actor").GetString()).ToList();
            var ok = answers.Select((r, i) => (r, i)).Where(x => x.r.StatusCode == HttpStatusCode.OK).Select(x => $"key:ops-{(char)('a' + x.i)}").ToList();
            if (ok.Count > 1 || audited.Count != 1 || (ok.Count == 1 && ok[0] != audited[0]))
                problems.Add($"round {round}: answers {string.Join(", ", answers.Select(r => (int)r.StatusCode))}, audited [{string.Join(", ", audited)}]");
            foreach (var lost in answers.Where(r => r.StatusCode == HttpStatusCode.Conflict))
            {
                var detail = (await lost.ProblemAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString()!;
                if (!detail.Contains($"cancelled by {audited[0]!["key:".Length..]}", StringComparison.Ordinal))
                    problems.Add($"round {round}: the loser's 409 does not name who cancelled: {detail}");
            }
        }
        Assert.True(raced > 0, "Expected at least one job to be cancelled while it ran.");
        Assert.Empty(problems);
    }

    [Fact]
    public async Task OneKeyCancellingOneJobTwiceAtOnce_OneCancelHolds_TheOtherIs409()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await Variants.RegisterAsync(app, "2.0.0");
        var ops = await app.ClientAsync("ops", "ops-a");
        var problems = new List<string>();
        var raced = 0;
        for (var round = 0; round < 6; round++)
        {
            using var start = await app.Client.PostAsync("/v1/agents/renewal-risk/versions/2.0.0/evaluate", Variants.Json("""{"caseSet":"telco-churn"}"""));
            var job = start.Headers.Location!.OriginalString;
            var answers = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => ops.DeleteAsync(job))));
            if ((await app.GetJsonAsync(job)).GetProperty("state").GetString() != "cancelled")
                continue;
            raced++;
            // Comparing who asked made both "first": both stored the cancel and both were answered 200.
            var held = answers.Count(r => r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted);
            if (held != 1 || answers.Count(r => r.StatusCode == HttpStatusCode.Conflict) != 1)
                problems.Add($"round {round}: answers {string.Join(", ", answers.Select(r => (int)r.StatusCode))}");
        }
        Assert.True(raced > 0, "Expected at least one job to be cancelled while it ran.");
        Assert.Empty(problems);
    }
}
