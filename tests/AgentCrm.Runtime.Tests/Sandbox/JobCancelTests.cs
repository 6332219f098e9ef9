using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>Sandbox jobs can be cancelled and listed; unregistering an agent cancels its jobs; a cancelled job stays cancelled across restarts.</summary>
public sealed class JobCancelTests
{
    private static readonly string PluginPath = Path.Combine(AppContext.BaseDirectory, "plugins", "AgentCrm.SamplePlugin.dll");

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>An app with a timeline case set and a plugin whose every case blocks 3 s (the replay gives up on it after 1 s): an evaluation runs for minutes.</summary>
    private static async Task<AgentCrmApp> StartWithHangingPluginAsync(string dir)
    {
        // Room for hung calls (by default, past 4 a plugin's calls fail at once and the replay races to its end); 16 is a version's share.
        var app = await AgentCrmApp.StartAsync(dir, new Dictionary<string, string?> { ["Plugins:MaxHungCalls"] = "16" });
        var (ndjson, labels) = CaseFiles.Timeline(240, DateTimeOffset.UtcNow.AddDays(-1));
        using var added = await app.Client.PostAsync("/v1/cases/hand-timeline", CaseFiles.Upload(ndjson, labels));
        Assert.True(added.StatusCode is HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
        using var form = new MultipartFormDataContent();
        var dll = new ByteArrayContent(await File.ReadAllBytesAsync(PluginPath));
        dll.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(dll, "assembly", "AgentCrm.SamplePlugin.dll");
        form.Add(new StringContent("""
            {"id":"hanger","version":"1.0.0","kind":"plugin","scenario":"test","subscribes":["support_ticket","nps"],
             "reads":["tickets.open"],"purpose":"customer-success","threshold":0.5,
             "parameters":{"kind":"misbehaving","mode":"hang","hangMs":3000}}
            """, Encoding.UTF8, "application/json"), "manifest", "manifest.json");
        using var registered = await app.Client.PostAsync("/v1/agents/plugins", form);
        Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        return app;
    }

    private static async Task<string> StartAsync(HttpClient client, string path, string body)
    {
        using var start = await client.PostAsync(path, Json(body));
        var text = await start.Content.ReadAsStringAsync();
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> JobAsync(HttpClient client, string jobId) =>
        JsonDocument.Parse(await client.GetStringAsync($"/v1/jobs/{jobId}")).RootElement.Clone();

    /// <summary>Polls until the job satisfies <paramref name="done"/> (within <paramref name="seconds"/>).</summary>
    private static async Task<JsonElement> WaitForAsync(HttpClient client, string jobId, Func<JsonElement, bool> done, string expected, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var job = await JobAsync(client, jobId);
            if (done(job))
                return job;
            Assert.True(DateTime.UtcNow < deadline, $"Expected job {jobId} to be {expected} within {seconds} s: {job}");
            await Task.Delay(100);
        }
    }

    // Replaying (the hanging plugin takes ~2 s a case, its two tries, and progress is told per 100 cases: done stays 0 a while).
    private static bool Evaluating(JsonElement job) => job.GetProperty("state").GetString() == "running" && job.TryGetProperty("stage", out var s) && s.GetString() == "evaluating";

    private static object? Scalar(string dir, string sql, string? id = null)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "agentcrm.db"), Pooling = false }.ToString());
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        if (id is not null)
            cmd.Parameters.AddWithValue("$id", id);
        return cmd.ExecuteScalar();
    }

    [Fact]
    public async Task Cancel_ARunningEvaluationOfAHangingPlugin_EndsCancelledWithinSeconds_WithoutAReport_AndIsNotResumedAfterARestart()
    {
        var dir = TempDirectory.Create();
        string jobId;
        await using (var app = await StartWithHangingPluginAsync(dir))
        {
            jobId = await StartAsync(app.Client, "/v1/agents/hanger/versions/1.0.0/evaluate", """{"caseSet":"hand-timeline"}""");
            await WaitForAsync(app.Client, jobId, Evaluating, "evaluating");
            using var ops = await app.ClientAsync("ops", "ops-canceller");
            using var reviewer = await app.ClientAsync("reviewer");

            Assert.Equal(HttpStatusCode.Forbidden, (await reviewer.DeleteAsync($"/v1/jobs/{jobId}")).StatusCode);
            using var cancel = await ops.DeleteAsync($"/v1/jobs/{jobId}");

            // 200 (not 202, still stopping) says the job stopped within the cancel's wait (JobsApi.CancelWait): the replay did not
            // sit out its hanging calls (1 s a try, for minutes of cases). No wall-clock bound of its own: a busy machine slows both.
            var body = await cancel.Content.ReadAsStringAsync();
            Assert.True(cancel.StatusCode == HttpStatusCode.OK, body);
            var cancelled = JsonDocument.Parse(body).RootElement;
            Assert.Equal("cancelled", cancelled.GetProperty("state").GetString());
            Assert.Equal("cancelled by ops-canceller", cancelled.GetProperty("error").GetString());
            Assert.False(cancelled.TryGetProperty("stage", out _));
            Assert.Equal(JsonValueKind.Null, cancelled.GetProperty("reportId").ValueKind);
            Assert.Equal("cancelled", (await JobAsync(app.Client, jobId)).GetProperty("state").GetString());
            Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/hanger/versions/1.0.0/reports/latest")).StatusCode);
            Assert.Equal("registered", JsonDocument.Parse(await app.Client.GetStringAsync("/v1/agents/hanger")).RootElement.GetProperty("versions")[0].GetProperty("state").GetString());

            // In the audit log like other transitions: who, and why.
            var audit = JsonDocument.Parse(await app.Client.GetStringAsync($"/v1/audit?subject=job:{jobId}")).RootElement.GetProperty("items");
            var entry = Assert.Single(audit.EnumerateArray());
            Assert.Equal("job.cancelled", entry.GetProperty("action").GetString());
            Assert.EndsWith(":ops-canceller", entry.GetProperty("actor").GetString(), StringComparison.Ordinal);
            Assert.Equal("cancelled by ops-canceller", entry.GetProperty("data").GetProperty("reason").GetString());

            // An ended job cannot be cancelled again; an unknown one is not found; both ProblemDetails.
            using var again = await ops.DeleteAsync($"/v1/jobs/{jobId}");
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
            Assert.Contains("cancelled", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var unknown = await ops.DeleteAsync("/v1/jobs/job_nosuchjob");
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        }

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var job = await JobAsync(app.Client, jobId);
            Assert.Equal("cancelled", job.GetProperty("state").GetString());
            Assert.Equal(1, job.GetProperty("attempt").GetInt32());
            Assert.Equal(1L, Scalar(dir, "SELECT attempts FROM job_requests WHERE job_id = $id", jobId));
            Assert.Equal(0L, Scalar(dir, "SELECT COUNT(*) FROM sandbox_reports"));
        }
    }

    [Fact]
    public async Task ACancelAnswered_WhoseJobsEndWasNeverStored_EndsTheJobCancelledOnTheNextStart_NotRunAgain_NoReportNorVersion()
    {
        var dir = TempDirectory.Create();
        string fit;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            // What a stop (or a failing disk) between the cancel's answer and the job's end leaves: the end never reaches the table.
            // Set up before the fit starts: done while it ran, this waited for the server's writes, and the fit could end first.
            DataDb.Execute(dir, "CREATE TRIGGER lose_cancelled_end BEFORE UPDATE OF state ON jobs WHEN NEW.state = 'cancelled' BEGIN SELECT RAISE(ABORT, 'the end of a cancelled job is lost (test)'); END");
            using var ops = await app.ClientAsync("ops", "ops-canceller");
            fit = await StartAsync(app.Client, "/v1/agents/fit", """{"kind":"renewal-risk","caseSet":"telco-churn","version":"5.0.0"}""");

            using (var cancel = await ops.DeleteAsync($"/v1/jobs/{fit}"))
            {
                // Not ended (its end is not stored), but the cancel is: 202.
                Assert.True(cancel.StatusCode == HttpStatusCode.Accepted, $"{(int)cancel.StatusCode} {await cancel.Content.ReadAsStringAsync()}");
            }
            Assert.Equal("running", Scalar(dir, "SELECT state FROM jobs WHERE id = $id", fit));
        }
        DataDb.Execute(dir, "DROP TRIGGER lose_cancelled_end");

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            // Resumed, the fit would run again from the start (attempt 2) and register 5.0.0.
            var job = await JobAsync(app.Client, fit);
            Assert.True(job.GetProperty("state").GetString() == "cancelled", job.GetRawText());
            Assert.Equal("cancelled by ops-canceller", job.GetProperty("error").GetString());
            Assert.Equal(1, job.GetProperty("attempt").GetInt32());
            var audit = JsonDocument.Parse(await app.Client.GetStringAsync($"/v1/audit?subject=job:{fit}")).RootElement.GetProperty("items");
            var entry = Assert.Single(audit.EnumerateArray());
            Assert.Equal("job.cancelled", entry.GetProperty("action").GetString());
            Assert.EndsWith(":ops-canceller", entry.GetProperty("actor").GetString(), StringComparison.Ordinal);
            Assert.Equal(0L, Scalar(dir, "SELECT COUNT(*) FROM agent_versions WHERE agent_id = 'renewal-risk' AND version = '5.0.0'"));
            Assert.Equal(0L, Scalar(dir, "SELECT COUNT(*) FROM sandbox_reports"));
        }
    }

    [Fact]
    public async Task Unregister_CancelsTheAgentsRunningEvaluation_AndItsFits_RegistersNoVersionAfterIt_NorIsAnyResumed()
    {
        var dir = TempDirectory.Create();
        string evaluation, first, queued;
        await using (var app = await StartWithHangingPluginAsync(dir))
        {
            // The key first, and the fits' agent unregistered first. A fit takes about 8 s here, and in CI runs an unregister
            // answered later than that (a loaded test process) let a lone fit finish first. So two fits: the second waits for
            // the first (fits run one at a time), and cannot finish before the unregister unless both fits' 16 s pass first.
            using var ops = await app.ClientAsync("ops", "ops-unregisterer");
            evaluation = await StartAsync(app.Client, "/v1/agents/hanger/versions/1.0.0/evaluate", """{"caseSet":"hand-timeline"}""");
            await WaitForAsync(app.Client, evaluation, Evaluating, "evaluating");
            first = await StartAsync(app.Client, "/v1/agents/fit", """{"kind":"renewal-risk","caseSet":"telco-churn","version":"5.0.0"}""");
            queued = await StartAsync(app.Client, "/v1/agents/fit", """{"kind":"renewal-risk","caseSet":"telco-churn","version":"5.0.1"}""");

            Assert.Equal(HttpStatusCode.OK, (await ops.DeleteAsync("/v1/agents/renewal-risk")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await ops.DeleteAsync("/v1/agents/hanger")).StatusCode);

            foreach (var id in new[] { evaluation, queued })
                AssertCancelledByUnregister(await WaitForAsync(app.Client, id, j => j.GetProperty("state").GetString() != "running", "ended"));
            // The first fit is cancelled unless it ended before the unregister (then its version stays, retired with the agent's others).
            var firstEnded = await WaitForAsync(app.Client, first, j => j.GetProperty("state").GetString() != "running", "ended");
            var firstWon = firstEnded.GetProperty("state").GetString() == "succeeded";
            if (!firstWon)
                AssertCancelledByUnregister(firstEnded);
            else
                Assert.Equal("retired", Scalar(dir, "SELECT state FROM agent_versions WHERE agent_id = 'renewal-risk' AND version = '5.0.0'"));

            // Whatever the fitting was doing when the unregister came, no version appears after it.
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.Equal(0L, Scalar(dir, "SELECT COUNT(*) FROM agent_versions WHERE agent_id = 'renewal-risk' AND version = '5.0.1'"));
            Assert.Equal(firstWon ? 1L : 0L, Scalar(dir, "SELECT COUNT(*) FROM agent_versions WHERE agent_id = 'renewal-risk' AND version = '5.0.0'"));
            Assert.Equal(firstWon ? 1L : 0L, Scalar(dir, "SELECT COUNT(*) FROM sandbox_reports"));
            Assert.Equal(firstWon ? 2L : 3L, Scalar(dir, "SELECT COUNT(*) FROM audit WHERE action = 'job.cancelled'"));
        }

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            foreach (var id in new[] { evaluation, queued })
                Assert.Equal("cancelled", (await JobAsync(app.Client, id)).GetProperty("state").GetString());
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(0L, Scalar(dir, "SELECT COUNT(*) FROM agent_versions WHERE agent_id = 'renewal-risk' AND version = '5.0.1'"));
        }
    }

    private static void AssertCancelledByUnregister(JsonElement job)
    {
        Assert.True(job.GetProperty("state").GetString() == "cancelled", job.GetRawText());
        Assert.StartsWith("agent unregistered by ", job.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.EndsWith(":ops-unregisterer", job.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AJobTheServerStoppedDuring_WhoseAgentWasUnregisteredMeanwhile_EndsCancelledOnTheNextStart_NotRunAgain()
    {
        var dir = TempDirectory.Create();
        string jobId;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            jobId = await StartAsync(app.Client, "/v1/agents/renewal-risk/versions/1.0.1/evaluate", """{"caseSet":"telco-churn"}""");
            await WaitForAsync(app.Client, jobId, j => j.GetProperty("state").GetString() == "succeeded", "succeeded");
        }
        // As a stop during the job leaves it; then the agent is unregistered (e.g. with the CLI) before the next start.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "agentcrm.db"), Pooling = false }.ToString()))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "UPDATE jobs SET state = 'running', report_id = NULL WHERE id = $id; DELETE FROM sandbox_reports;";
            cmd.Parameters.AddWithValue("$id", jobId);
            cmd.ExecuteNonQuery();
        }
        var unregistered = await Cli.CliRunner.RunAsync(["agents", "unregister", "renewal-risk", "--data", dir]);
        Assert.True(unregistered.ExitCode == 0, unregistered.Stderr);

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var job = await JobAsync(app.Client, jobId);
            Assert.True(job.GetProperty("state").GetString() == "cancelled", job.GetRawText());
            Assert.StartsWith("agent unregistered by ", job.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(0L, Scalar(dir, "SELECT COUNT(*) FROM sandbox_reports"));
        }
    }

    [Fact]
    public async Task List_NewestFirst_FilteredByStateKindAndAgent_InPages_BadFiltersNamed()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var first = await StartAsync(app.Client, "/v1/agents/renewal-risk/versions/1.0.1/evaluate", """{"caseSet":"telco-churn"}""");
        await WaitForAsync(app.Client, first, j => j.GetProperty("state").GetString() == "succeeded", "succeeded");
        var second = await StartAsync(app.Client, "/v1/agents/renewal-risk/versions/1.0.1/evaluate", """{"caseSet":"iranian-churn"}""");
        await WaitForAsync(app.Client, second, j => j.GetProperty("state").GetString() == "succeeded", "succeeded");
        var fit = await StartAsync(app.Client, "/v1/agents/fit", """{"kind":"renewal-risk","caseSet":"telco-churn"}""");
        using (var cancel = await app.Client.DeleteAsync($"/v1/jobs/{fit}"))
            Assert.True(cancel.StatusCode == HttpStatusCode.OK, await cancel.Content.ReadAsStringAsync());
        using var ops = await app.ClientAsync("ops");
        using var csm = await app.ClientAsync("csm");

        static string[] Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetString()!).ToArray();
        async Task<JsonElement> ListAsync(string query) => JsonDocument.Parse(await ops.GetStringAsync("/v1/jobs" + query)).RootElement.Clone();

        Assert.Equal([fit, second, first], Ids(await ListAsync("")));
        var page1 = await ListAsync("?limit=2");
        Assert.Equal([fit, second], Ids(page1));
        var page2 = await ListAsync($"?limit=2&cursor={page1.GetProperty("nextCursor").GetString()}");
        Assert.Equal([first], Ids(page2));
        Assert.Equal(JsonValueKind.Null, page2.GetProperty("nextCursor").ValueKind);
        Assert.Equal([fit], Ids(await ListAsync("?state=cancelled")));
        Assert.Equal([fit], Ids(await ListAsync("?kind=fit&agent=renewal-risk")));
        Assert.Equal([second, first], Ids(await ListAsync("?state=succeeded&kind=evaluate&agent=renewal-risk")));
        Assert.Empty(Ids(await ListAsync("?agent=renewal")));
        Assert.Empty(Ids(await ListAsync("?state=running")));

        Assert.Equal(HttpStatusCode.Forbidden, (await csm.GetAsync("/v1/jobs")).StatusCode);
        using var bad = await ops.GetAsync("/v1/jobs?state=done&kind=train&cursor=nope&limit=0&agent=Bad_Id");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        foreach (var field in new[] { "state", "kind", "cursor", "limit", "agent" })
            Assert.True(errors.TryGetProperty(field, out _), $"{field} not named: {errors}");
        // A cursor of the jobs' form whose position this server never wrote ("x" sorted after every time: the first page again; qa43c #4).
        var forged = System.Buffers.Text.Base64Url.EncodeToString("j:x|y"u8);
        using var forgedPage = await ops.GetAsync($"/v1/jobs?cursor={forged}");
        Assert.Equal(HttpStatusCode.BadRequest, forgedPage.StatusCode);
        Assert.True(JsonDocument.Parse(await forgedPage.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("cursor", out _));
        // The cancelled fit held its version: nothing registered, the version free again.
        Assert.Single(JsonDocument.Parse(await app.Client.GetStringAsync("/v1/agents/renewal-risk")).RootElement.GetProperty("versions").EnumerateArray());
    }
}
