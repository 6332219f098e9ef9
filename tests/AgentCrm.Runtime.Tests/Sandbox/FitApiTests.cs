using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>POST /v1/agents/fit: the CLI's `agents fit` as a job over HTTP.</summary>
public sealed class FitApiTests(FitApiTests.Server server) : IClassFixture<FitApiTests.Server>
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<JsonElement> ProblemAsync(string body, HttpStatusCode status)
    {
        using var response = await server.App.Client.PostAsync("/v1/agents/fit", Json(body));
        return await response.ProblemAsync(status);
    }

    private async Task<IReadOnlyList<string>> VersionsAsync() =>
        (await server.App.GetJsonAsync("/v1/agents/renewal-risk")).GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetString()!).ToList();

    [Fact]
    public async Task Fit_OnARegisteredCaseSet_RegistersTheNextVersion_WithItsReportOnTheHeldOutPart()
    {
        using var start = await server.App.Client.PostAsync("/v1/agents/fit", Json("""{"kind":"renewal-risk","caseSet":"fit-cases"}"""));
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        var accepted = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("fit", accepted.GetProperty("kind").GetString());
        Assert.Equal("renewal-risk@1.1.0 on fit-cases", accepted.GetProperty("subject").GetString());
        Assert.Equal("queued", accepted.GetProperty("stage").GetString());

        var job = await WaitAsync(start.Headers.Location!.OriginalString);

        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.False(job.TryGetProperty("stage", out _), job.GetRawText());
        var version = (await server.App.GetJsonAsync("/v1/agents/renewal-risk")).GetProperty("versions").EnumerateArray()
            .Single(v => v.GetProperty("version").GetString() == "1.1.0");
        Assert.Equal("evaluated", version.GetProperty("state").GetString());
        var report = await server.App.GetJsonAsync("/v1/agents/renewal-risk/versions/1.1.0/reports/latest");
        Assert.Equal("fit-cases:holdout-20260101", report.GetProperty("caseSet").GetString());
        // 30% of each class held out: 60 of 200 customers, never seen by the fit.
        Assert.Equal(60, report.GetProperty("cases").GetInt32());
        Assert.Equal(60, job.GetProperty("done").GetInt32());
        // The fitted model separates the clear pattern in the data (low NPS and short tenure churn).
        Assert.True(report.GetProperty("rocAuc").GetDouble() > 0.9, report.GetRawText());
    }

    [Fact]
    public async Task Fit_ReportsItsStages_Queued_Loading_Fitting_Evaluating_EachStepOnce_EndingAtItsTotal()
    {
        var fitter = server.App.Services.GetRequiredService<AgentFitter>();
        // 1.0.7: below the next minor version the other tests' fits expect (1.1.0).
        var fit = fitter.Prepare(new FitRequest("renewal-risk", "fit-cases") { Version = "1.0.7" });
        var seen = new List<JobProgress>();

        await fitter.FitAsync(fit, "test", progress: new SyncProgress<JobProgress>(p =>
        {
            lock (seen)
                seen.Add(p);
        }));

        // Each stage once, in this order.
        Assert.Equal([JobProgress.Queued, JobProgress.Loading, JobProgress.Fitting, JobProgress.Evaluating], seen.Select(p => p.Stage).Distinct());
        Assert.Equal(seen.Select(p => p.Stage).Distinct().Count(), seen.Select(p => p.Stage).Where((s, i) => i == 0 || s != seen[i - 1].Stage).Count());
        // Fitting: every planned step once, in order (3 feature sets × 7 L2 strengths + 3 tree settings + the refit).
        var fitting = seen.Where(p => p.Stage == JobProgress.Fitting).ToList();
        Assert.Equal(Enumerable.Range(1, 25).Select(d => (d, 25)), fitting.Select(p => (p.Done, p.Total)));
        // Evaluating: the 60 held-out cases.
        var evaluating = seen.Where(p => p.Stage == JobProgress.Evaluating).ToList();
        Assert.All(evaluating, p => Assert.Equal(60, p.Total));
        Assert.Equal(60, evaluating.Max(p => p.Done));
    }

    [Fact]
    public async Task Fit_BadRequests_AreProblemsNamingTheField_AndRegisterNothing()
    {
        var before = await VersionsAsync();

        var missing = (await ProblemAsync("{}", HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(missing.TryGetProperty("kind", out _), missing.GetRawText());
        Assert.True(missing.TryGetProperty("caseSet", out _), missing.GetRawText());
        Assert.Contains("not a trainable kind", (await ProblemAsync("""{"kind":"rules","caseSet":"fit-cases"}""", HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("kind")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("No case set 'nope'", (await ProblemAsync("""{"kind":"renewal-risk","caseSet":"nope"}""", HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("caseSet")[0].GetString(), StringComparison.Ordinal);
        Assert.True((await ProblemAsync("""{"kind":"renewal-risk","caseSet":"fit-cases","version":"one"}""", HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("version", out _));
        Assert.True((await ProblemAsync("""{"kind":"renewal-risk","caseSet":"fit-cases","categories":["non-compete"]}""", HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("categories", out _));
        Assert.True((await ProblemAsync("""{"kind":"renewal-risk","caseSet":"fit-cases","crossValidate":true}""", HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("crossValidate", out _));
        Assert.True((await ProblemAsync("""{"kind":"renewal-risk","caseSet":"fit-cases","learner":"trees"}""", HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("learner", out _));
        Assert.Contains("cuad' labels", (await ProblemAsync("""{"kind":"compliance-check","caseSet":"cuad","categories":["telepathy"]}""", HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("categories")[0].GetString(), StringComparison.Ordinal);
        // Versions are immutable: fitting onto a registered one is a conflict, refused before any work.
        var taken = await ProblemAsync("""{"kind":"renewal-risk","caseSet":"fit-cases","version":"1.0.1"}""", HttpStatusCode.Conflict);
        Assert.Contains("renewal-risk@1.0.1", taken.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("renewal-risk@1.0.1", taken.GetProperty("errors").GetProperty("version")[0].GetString(), StringComparison.Ordinal);

        Assert.Equal(before, await VersionsAsync());
    }

    [Fact]
    public async Task Fit_OnACaseSetWithTooFewPositives_Is400NamingCaseSet_BeforeAnyWork_AndRegistersNothing()
    {
        // 40 customers, 6 of them churned: 4 positives in the 70% a fit trains on, where 5-fold cross-validation needs 10.
        var rows = Enumerable.Range(0, 40).Select(i => $"f{i},{i % 30},{i % 10},{(i % 7 == 0 ? 1 : 0)}");
        using (var form = new MultipartFormDataContent
        {
            { new StringContent("id,tenure,nps,churned\n" + string.Join("\n", rows) + "\n"), "file", "cases.csv" },
            { new StringContent("name: few-positives\nid: id\nlabel: { column: churned, positive: \"1\" }\nfields:\n  - { column: tenure, field: tenure.months, type: number }\n  - { column: nps, field: nps.latest, type: number }\n"), "mapping", "mapping.yaml" },
        })
        using (var added = await server.App.Client.PostAsync("/v1/cases/few-positives", form))
            Assert.True(added.StatusCode == HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
        var before = await VersionsAsync();

        var message = (await ProblemAsync("""{"kind":"renewal-risk","caseSet":"few-positives"}""", HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("caseSet")[0].GetString()!;

        Assert.Contains("a fit needs at least 10 of each", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter", message, StringComparison.Ordinal);
        Assert.Equal(before, await VersionsAsync());
    }

    [Fact]
    public async Task TheHeldOutSetAFitReportNames_CanBeReplayed_ToTheSameCasesAndHash_AndItsNameIsReserved()
    {
        using var start = await server.App.Client.PostAsync("/v1/agents/fit", Json("""{"kind":"renewal-risk","caseSet":"fit-cases","version":"3.0.0"}"""));
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        Assert.Equal("succeeded", (await WaitAsync(start.Headers.Location!.OriginalString)).GetProperty("state").GetString());
        var fitted = await server.App.GetJsonAsync("/v1/agents/renewal-risk/versions/3.0.0/reports/latest");
        Assert.Equal("fit-cases:holdout-20260101", fitted.GetProperty("caseSet").GetString());

        var replayed = await server.App.EvaluateAsync("renewal-risk", "3.0.0", "fit-cases:holdout-20260101");

        Assert.Equal(fitted.GetProperty("caseSetHash").GetString(), replayed.GetProperty("caseSetHash").GetString());
        Assert.Equal(fitted.GetProperty("cases").GetInt32(), replayed.GetProperty("cases").GetInt32());
        Assert.Equal(fitted.GetProperty("f1").GetDouble(), replayed.GetProperty("f1").GetDouble());
        using var form = new MultipartFormDataContent
        {
            { new StringContent("id,tenure,churned\nc1,3,1\n"), "file", "cases.csv" },
            { new StringContent("name: fit-cases:holdout-7\nid: id\nlabel: { column: churned, positive: \"1\" }\nfields:\n  - { column: tenure, field: tenure.months, type: number }\n"), "mapping", "mapping.yaml" },
        };
        using var reserved = await server.App.Client.PostAsync("/v1/cases/fit-cases:holdout-7", form);
        Assert.Contains("reserved", (await reserved.ProblemAsync(HttpStatusCode.BadRequest)).GetRawText(), StringComparison.Ordinal);
        // A held-out part with no case (a set too small to split) is refused, not evaluated on nothing.
        using var tiny = new MultipartFormDataContent
        {
            { new StringContent("id,tenure,churned\nt1,3,1\nt2,30,0\n"), "file", "cases.csv" },
            { new StringContent("name: tiny-cases\nid: id\nlabel: { column: churned, positive: \"1\" }\nfields:\n  - { column: tenure, field: tenure.months, type: number }\n"), "mapping", "mapping.yaml" },
        };
        using (var added = await server.App.Client.PostAsync("/v1/cases/tiny-cases", tiny))
            Assert.True(added.StatusCode == HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
        using var empty = await server.App.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/evaluate", Json("""{"caseSet":"tiny-cases:holdout-1"}"""));
        Assert.Contains("has no cases", (await empty.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("caseSet")[0].GetString(), StringComparison.Ordinal);
        // A stored set that no longer reads (stored by an earlier build with looser rules): 400 naming it, not a 500.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(server.App.DataDirectory, "agentcrm.db")};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "UPDATE case_sets SET aux = $m, hash = 'sha256:stored-by-an-earlier-build' WHERE name = 'tiny-cases'";
            cmd.Parameters.AddWithValue("$m", System.Text.Encoding.UTF8.GetBytes("name: tiny-cases\nid: id\nlabel: { column: churned, positive: \"1\" }\nfields:\n  - { column: tenure, field: tenure.months, type: horoscope }\n"));
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        foreach (var (path, body) in new[] { ("/v1/agents/renewal-risk/versions/1.0.1/evaluate", """{"caseSet":"tiny-cases"}"""), ("/v1/agents/fit", """{"kind":"renewal-risk","caseSet":"tiny-cases"}""") })
        {
            using var unreadable = await server.App.Client.PostAsync(path, Json(body));
            Assert.Contains("no longer reads", (await unreadable.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("caseSet")[0].GetString(), StringComparison.Ordinal);
        }
        // The CLI says the same: it printed the stored file's line alone, which read as a problem with a file the user gave (qa27b).
        var cli = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases", "tiny-cases", "--data", server.App.DataDirectory]);
        Assert.Equal(1, cli.ExitCode);
        Assert.StartsWith("agentcrm: The stored case set 'tiny-cases' no longer reads: ", cli.Stderr.Trim(), StringComparison.Ordinal);
        Assert.EndsWith("Add it again, corrected.", cli.Stderr.Trim(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("renewal-risk", "canada-tenders", "tender-detection")]
    [InlineData("tender-detection", "telco-churn", "renewal-risk")]
    [InlineData("compliance-check", "iranian-churn", "renewal-risk")]
    public async Task Fit_OnAnotherScenariosCaseSet_Is400NamingCaseSet_AndBurnsNoVersion(string kind, string caseSet, string heldScenario)
    {
        var before = (await server.App.GetJsonAsync($"/v1/agents/{kind}")).GetProperty("versions").GetRawText();

        var message = (await ProblemAsync($$"""{"kind":"{{kind}}","caseSet":"{{caseSet}}"}""", HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("caseSet")[0].GetString()!;

        Assert.Contains($"holds {heldScenario} cases", message, StringComparison.Ordinal);
        Assert.Equal(before, (await server.App.GetJsonAsync($"/v1/agents/{kind}")).GetProperty("versions").GetRawText());
    }

    [Fact]
    public async Task Evaluate_OnAnotherScenariosCaseSet_Is400NamingCaseSet_NamedOrUploaded_StoresNothing()
    {
        using var named = await server.App.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/evaluate", Json("""{"caseSet":"canada-tenders"}"""));
        Assert.Contains("holds tender-detection cases", (await named.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("caseSet")[0].GetString(), StringComparison.Ordinal);

        var setsBefore = (await server.App.GetJsonAsync("/v1/cases")).GetProperty("items").GetArrayLength();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("id,text,unfair\nd1,we may end this at any time,1\nd2,you may cancel,0\n"), "cases", "clauses.csv" },
            { new StringContent("""
                name: clauses
                scenario: compliance-check
                id: id
                label: { column: unfair, positive: "1" }
                fields:
                  - { column: text, field: documents.text, type: text }
                """), "mapping", "clauses.yaml" },
        };
        using var uploaded = await server.App.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/evaluate", form);
        Assert.Contains("holds compliance-check cases", (await uploaded.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("mapping")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(setsBefore, (await server.App.GetJsonAsync("/v1/cases")).GetProperty("items").GetArrayLength());
    }

    private async Task<JsonElement> WaitAsync(string location)
    {
        for (var i = 0; i < 2400; i++)
        {
            var job = await server.App.GetJsonAsync(location);
            if (job.GetProperty("state").GetString() != "running")
                return job;
            await Task.Delay(50);
        }
        throw new TimeoutException($"Expected the fit job {location} to finish within 2 minutes.");
    }

    public sealed class Server : IAsyncLifetime
    {
        public AgentCrmApp App { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            App = await AgentCrmApp.StartAsync();
            await AddFitCasesAsync(App);
        }

        /// <summary>Registers <c>fit-cases</c> on <paramref name="app"/>: 200 customers whose fit takes a second or two.</summary>
        public static async Task AddFitCasesAsync(AgentCrmApp app)
        {
            // 200 customers: short tenure and low NPS churn, with some noise so the classes overlap a little.
            var rows = Enumerable.Range(0, 200).Select(i =>
            {
                var churned = i % 4 == 0;
                var noisy = i % 25 == 1;
                var tenure = churned ^ noisy ? 2 + i % 7 : 20 + i % 30;
                var nps = churned ^ noisy ? i % 4 : 7 + i % 4;
                return $"c{i},{tenure},{nps},{(churned ? 1 : 0)}";
            });
            using var form = new MultipartFormDataContent
            {
                { new StringContent("id,tenure,nps,churned\n" + string.Join("\n", rows) + "\n"), "file", "cases.csv" },
                { new StringContent("""
                    name: fit-cases
                    id: id
                    label: { column: churned, positive: "1" }
                    fields:
                      - { column: tenure, field: tenure.months, type: number }
                      - { column: nps, field: nps.latest, type: number }
                    """), "mapping", "mapping.yaml" },
            };
            using var added = await app.Client.PostAsync("/v1/cases/fit-cases", form);
            Assert.True(added.StatusCode == HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
        }

        public async Task DisposeAsync() => await App.DisposeAsync();
    }
}
