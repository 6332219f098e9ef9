using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>Conflicting lifecycle actions on one agent, fired concurrently over HTTP by different ops keys, round after round.</summary>
public sealed class LifecycleRaceTests
{
    private static readonly string[] States = ["registered", "evaluated", "shadow", "active", "suspended", "retired"];

    [Fact]
    public async Task PromoteRollbackShadowUnregister_Racing_LeaveOneActiveVersion_AConsistentLog_AndOnly404Or409ForLosers()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var versions = Enumerable.Range(2, 6).Select(i => $"{i}.0.0").ToList();
        foreach (var v in versions)
        {
            await Variants.RegisterAsync(app, v);
            await app.EvaluateAsync("renewal-risk", v);
        }
        var clients = new List<HttpClient>();
        for (var i = 0; i < 4; i++)
            clients.Add(await app.ClientAsync("ops", $"ops-{i}"));
        var random = new Random(7);
        var failures = new List<string>();
        var (won, lost) = (0, 0);
        for (var round = 0; round < 40; round++)
        {
            var ops = new List<Func<HttpClient, Task<HttpResponseMessage>>>();
            for (var i = 0; i < 4; i++)
            {
                var v = versions[random.Next(versions.Count)];
                var canary = random.Next(3) == 0 ? 30 : 100;
                ops.Add(random.Next(4) switch
                {
                    0 => c => c.PostAsync($"/v1/agents/renewal-risk/versions/{v}/promote", Variants.Json($$"""{"canaryPercent":{{canary}}}""")),
                    1 => c => c.PostAsync("/v1/agents/renewal-risk/rollback", null),
                    2 => c => c.PostAsync($"/v1/agents/renewal-risk/versions/{v}/shadow", null),
                    _ => c => c.PostAsync($"/v1/agents/renewal-risk/versions/{v}/promote", null),
                });
            }
            if (round == 39)
                ops[0] = c => c.DeleteAsync("/v1/agents/renewal-risk");
            var responses = await Task.WhenAll(ops.Select((op, i) => Task.Run(() => op(clients[i]))));
            failures.AddRange(await responses.RaceProblemsAsync($"round {round}"));
            won += responses.Count(r => r.IsSuccessStatusCode);
            lost += responses.Count(r => r.StatusCode == HttpStatusCode.Conflict);
            var agent = await app.GetJsonAsync("/v1/agents/renewal-risk");
            var list = agent.GetProperty("versions").EnumerateArray().ToList();
            Assert.All(list, v => Assert.Contains(v.GetProperty("state").GetString(), States));
            var actives = list.Where(v => v.GetProperty("state").GetString() == "active").ToList();
            Assert.True(actives.Count(v => v.GetProperty("canaryPercent").GetInt32() == 100) <= 1, $"round {round}: {agent}");
            Assert.True(actives.Count(v => v.GetProperty("canaryPercent").GetInt32() < 100) <= 1, $"round {round}: {agent}");
            if (actives.Count == 1)
                Assert.True(actives[0].GetProperty("canaryPercent").GetInt32() == 100 || round == 39, $"round {round}: canary alone {agent}");
        }
        Assert.Empty(failures);
        Assert.True(won > 0 && lost > 0, $"expected both changes and conflicts: {won} changed, {lost} refused");

        // The audit log replays to the states the API shows; each record's from is the version's previous to.
        var records = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await app.GetJsonAsync($"/v1/audit?subject=agent:renewal-risk*&limit=500{(cursor is null ? "" : "&cursor=" + cursor)}");
            records.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
        }
        while (cursor is not null);
        var last = new Dictionary<string, string?>();
        foreach (var r in records.OrderBy(r => r.GetProperty("seq").GetInt64()))
        {
            var subject = r.GetProperty("subject").GetString()!;
            if (!subject.Contains('@'))
                continue;
            var data = r.GetProperty("data");
            var from = data.GetProperty("from").ValueKind == JsonValueKind.Null ? null : data.GetProperty("from").GetString();
            Assert.True(last.GetValueOrDefault(subject) == from, $"{subject}: record {r.GetProperty("seq")} from {from}, but the previous record left it {last.GetValueOrDefault(subject)}");
            Assert.False(string.IsNullOrEmpty(r.GetProperty("actor").GetString()));
            last[subject] = data.GetProperty("to").GetString();
        }
        var final = await app.GetJsonAsync("/v1/agents/renewal-risk");
        foreach (var v in final.GetProperty("versions").EnumerateArray())
            Assert.Equal(v.GetProperty("state").GetString(), last[$"agent:renewal-risk@{v.GetProperty("version").GetString()}"]);
        using var verify = await app.Client.PostAsync("/v1/audit/verify", null);
        Assert.Contains("\"ok\":true", await verify.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
