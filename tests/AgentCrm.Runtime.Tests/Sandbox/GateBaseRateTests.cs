using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>The gate against a model that learned nothing: fitted on random labels where most cases are positive.</summary>
public sealed class GateBaseRateTests
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task FitOnRandomLabels_WithAHighPositiveShare_PromoteIsRefused_NamingThePositiveShare()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // 1,000 customers, features and labels drawn independently (P(churn) = 0.6), labels written in mixed case and
        // spacing (matched ignoring both): nothing to learn, and firing on (nearly) every case scores precision ≈ 0.6.
        var random = new Random(20261203);
        var spellings = new[] { "Yes", "yes", " YES" };
        var rows = Enumerable.Range(0, 1000).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"c{i},{random.Next(1, 72)},{random.Next(0, 11)},{(random.NextDouble() < 0.6 ? spellings[i % 3] : i % 2 == 0 ? "No" : "no")}"));
        using var form = new MultipartFormDataContent
        {
            { new StringContent("id,tenure,nps,Churn\n" + string.Join("\n", rows) + "\n"), "file", "cases.csv" },
            { new StringContent("""
                name: rand60
                id: id
                label: { column: Churn, positive: "Yes", negative: "No" }
                fields:
                  - { column: tenure, field: tenure.months, type: number }
                  - { column: nps, field: nps.latest, type: number }
                """), "mapping", "mapping.yaml" },
        };
        using (var added = await app.Client.PostAsync("/v1/cases/rand60", form))
            Assert.True(added.StatusCode == HttpStatusCode.Created, await added.Content.ReadAsStringAsync());

        using var start = await app.Client.PostAsync("/v1/agents/fit", Json("""{"kind":"renewal-risk","caseSet":"rand60"}"""));
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        var job = await WaitAsync(app, start.Headers.Location!.OriginalString);
        Assert.Equal("succeeded", job.GetProperty("state").GetString());

        var report = await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.1.0/reports/latest");
        // The old criteria alone would pass it: precision and recall lower bounds above 0.5, on 300 held-out cases.
        Assert.Equal(300, report.GetProperty("scored").GetInt32());
        Assert.True(report.GetProperty("precisionInterval").GetProperty("lower").GetDouble() >= 0.5, report.GetRawText());
        Assert.True(report.GetProperty("recallInterval").GetProperty("lower").GetDouble() >= 0.5, report.GetRawText());
        Assert.False(report.GetProperty("passed").GetBoolean());
        var unmet = report.GetProperty("unmet").EnumerateArray().Select(u => u.GetString()!).ToList();
        var criterion = Assert.Single(unmet);
        Assert.Matches(@"^precision lower bound 0\.\d{3} is not above the positive share 0\.\d{3}: firing on every case would do as well$", criterion);

        using var promote = await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.1.0/promote", Json("""{"canaryPercent":100}"""));
        var problem = await promote.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal([criterion], problem.GetProperty("unmet").EnumerateArray().Select(u => u.GetString()!));
        var versions = (await app.GetJsonAsync("/v1/agents/renewal-risk")).GetProperty("versions").EnumerateArray();
        Assert.Equal("evaluated", versions.Single(v => v.GetProperty("version").GetString() == "1.1.0").GetProperty("state").GetString());
    }

    private static async Task<JsonElement> WaitAsync(AgentCrmApp app, string location)
    {
        for (var i = 0; i < 2400; i++)
        {
            var job = await app.GetJsonAsync(location);
            if (job.GetProperty("state").GetString() != "running")
                return job;
            await Task.Delay(50);
        }
        throw new TimeoutException($"Expected the fit job {location} to finish within 2 minutes.");
    }
}
