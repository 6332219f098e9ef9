using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>A sandbox job accepted (202) is not lost when the server stops while it runs: it runs again on the next start.</summary>
public sealed class JobResumeTests
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnEvaluationTheServerStoppedDuring_RunsAgainOnTheNextStart_UnderItsJobId_WithOneReport(bool reportWritten)
    {
        var dir = TempDirectory.Create();
        string jobId, reportId;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            (jobId, var done) = await RunToEndAsync(app.Client, "/v1/agents/renewal-risk/versions/1.0.1/evaluate", """{"caseSet":"telco-churn"}""");
            reportId = done.GetProperty("reportId").GetString()!;
        }
        // What a stop during the job leaves: the job still running, its report written (stopped just before the end) or not (mid-replay).
        Execute(dir, "UPDATE jobs SET state = 'running', done = 0, total = 0, report_id = NULL WHERE id = $id", jobId);
        if (!reportWritten)
            Execute(dir, "DELETE FROM sandbox_reports WHERE id = $id", reportId);

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var job = await JobPolling.WaitAsync(app.Client, jobId);

            Assert.Equal("succeeded", job.GetProperty("state").GetString());
            Assert.Equal(2, job.GetProperty("attempt").GetInt32());
            Assert.Equal(reportId, job.GetProperty("reportId").GetString());
            var report = await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.0.1/reports/latest");
            Assert.Equal(job.GetProperty("total").GetInt32(), report.GetProperty("cases").GetInt32());
            Assert.Equal(1L, Scalar(dir, "SELECT COUNT(*) FROM sandbox_reports WHERE agent_id = 'renewal-risk' AND version = '1.0.1'"));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AFitThatRegisteredItsVersionBeforeTheStop_RunsAgain_WithOneVersionOneReportAndOneTransitionEach(bool reportWritten)
    {
        var dir = TempDirectory.Create();
        // Stopped after registering 1.1.0, and after (or before) its held-out report and the evaluated transition.
        var (jobId, reportId) = await FitThenStoppedAsync(dir);
        if (!reportWritten)
        {
            RegisteredWithoutItsReport(dir, "1.1.0");
        }

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            // Its version registered, it only evaluates that version on the part it held out: it does not fit again.
            // (A telco fit spends seconds in `fitting`, its held-out evaluation well under one: sampled every 10 ms, a fit again shows.)
            var stages = new HashSet<string?>();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            JsonElement job;
            while ((job = await app.GetJsonAsync($"/v1/jobs/{jobId}")).GetProperty("state").GetString() == "running")
            {
                stages.Add(job.TryGetProperty("stage", out var stage) ? stage.GetString() : null);
                Assert.True(DateTime.UtcNow < deadline, $"job {jobId} still running after two minutes: {job}");
                await Task.Delay(10);
            }

            Assert.DoesNotContain("fitting", stages);
            Assert.True(job.GetProperty("state").GetString() == "succeeded", job.GetRawText());
            Assert.Equal(2, job.GetProperty("attempt").GetInt32());
            Assert.Equal(reportId, job.GetProperty("reportId").GetString());
            Assert.Equal(1L, Scalar(dir, "SELECT COUNT(*) FROM agent_versions WHERE agent_id = 'renewal-risk' AND version = '1.1.0'"));
            Assert.Equal(1L, Scalar(dir, "SELECT COUNT(*) FROM sandbox_reports WHERE agent_id = 'renewal-risk' AND version = '1.1.0'"));
            Assert.Equal(1L, Scalar(dir, "SELECT COUNT(*) FROM agent_transitions WHERE agent_id = 'renewal-risk' AND version = '1.1.0' AND to_state = 'registered'"));
            Assert.Equal(1L, Scalar(dir, "SELECT COUNT(*) FROM agent_transitions WHERE agent_id = 'renewal-risk' AND version = '1.1.0' AND to_state = 'evaluated'"));
        }
    }

    [Fact]
    public async Task ARunIsCountedWhenItBegins_SoAJobThatNeverBegan_RunsAsItsFirstAttempt()
    {
        var dir = TempDirectory.Create();
        string jobId;
        await using (var app = await AgentCrmApp.StartAsync(dir))
            (jobId, _) = await RunToEndAsync(app.Client, "/v1/agents/renewal-risk/versions/1.0.1/evaluate", """{"caseSet":"telco-churn"}""");
        Assert.Equal(1L, Scalar(dir, "SELECT attempts FROM job_requests WHERE job_id = $id", jobId));
        // As a fit queued behind another is left by a stop: accepted, no run begun.
        Execute(dir, "UPDATE jobs SET state = 'running', report_id = NULL WHERE id = $id", jobId);
        Execute(dir, "UPDATE job_requests SET attempts = 0 WHERE job_id = $id", jobId);

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var job = await JobPolling.WaitAsync(app.Client, jobId);

            Assert.Equal("succeeded", job.GetProperty("state").GetString());
            Assert.Equal(1, job.GetProperty("attempt").GetInt32());
            Assert.Equal(1L, Scalar(dir, "SELECT attempts FROM job_requests WHERE job_id = $id", jobId));
        }
    }

    [Theory]
    [InlineData(null, "did not keep what jobs run")]
    [InlineData("[1,2]", "could not be read back")]
    [InlineData("""{"actor":"ops","fit":{"kind":"renewal-risk","caseSet":"telco-churn","baseVersion":"1.0.1","seed":1}}""", "could not be read back")]
    [InlineData("""{"actor":"ops","fit":{"kind":"renewal-risk","caseSet":"gone","version":"1.1.0","baseVersion":"1.0.1","seed":1}}""", "No case set 'gone'")]
    [InlineData("""{"actor":"ops","evaluate":{"agentId":"renewal-risk","version":"9.9.9","caseSet":"telco-churn"}}""", "has no version '9.9.9'")]
    public async Task AStoredJobThatCannotRun_EndsWithTheReason_AndTheServerStarts(string? request, string reason)
    {
        var dir = TempDirectory.Create();
        string jobId;
        await using (var app = await AgentCrmApp.StartAsync(dir))
            (jobId, _) = await RunToEndAsync(app.Client, "/v1/agents/renewal-risk/versions/1.0.1/evaluate", """{"caseSet":"telco-churn"}""");
        Execute(dir, "UPDATE jobs SET state = 'running', report_id = NULL WHERE id = $id", jobId);
        if (request is null)
            Execute(dir, "DELETE FROM job_requests WHERE job_id = $id", jobId); // a job from a build that kept no requests
        else
            Execute(dir, $"UPDATE job_requests SET request = '{request.Replace("'", "''", StringComparison.Ordinal)}' WHERE job_id = $id", jobId);

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var job = await JobPolling.WaitAsync(app.Client, jobId);

            Assert.True(job.GetProperty("state").GetString() is "interrupted" or "failed", job.GetRawText());
            Assert.Contains(reason, job.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(job.GetProperty("state").GetString(), Scalar(dir, "SELECT state FROM jobs WHERE id = $id", jobId));
            // Nothing was fitted from a request without a version.
            Assert.Equal(0L, Scalar(dir, "SELECT COUNT(*) FROM agent_versions WHERE agent_id = 'renewal-risk' AND version <> '1.0.1'"));
        }
    }

    [Fact]
    public async Task ASecondServerOnTheSameDataDirectory_RefusesToStart_AndTheFirstKeepsItsJobs()
    {
        var dir = TempDirectory.Create();
        await using var first = await AgentCrmApp.StartAsync(dir);

        var refused = await Assert.ThrowsAsync<AgentCrm.Server.DataDirectoryInUseException>(() => AgentCrmApp.StartAsync(dir));

        Assert.Contains("Another agentcrm server is using the data directory", refused.Message, StringComparison.Ordinal);
        var (_, job) = await RunToEndAsync(first.Client, "/v1/agents/renewal-risk/versions/1.0.1/evaluate", """{"caseSet":"telco-churn"}""");
        Assert.Equal(1, job.GetProperty("attempt").GetInt32());
    }

    [Fact]
    public async Task AJobTheServerStoppedDuring_ThreeTimes_IsNotRunAgain_AndShowsInterruptedWithTheReason()
    {
        var dir = TempDirectory.Create();
        string jobId;
        await using (var app = await AgentCrmApp.StartAsync(dir))
            (jobId, _) = await RunToEndAsync(app.Client, "/v1/agents/renewal-risk/versions/1.0.1/evaluate", """{"caseSet":"telco-churn"}""");
        Execute(dir, "UPDATE jobs SET state = 'running', report_id = NULL WHERE id = $id", jobId);
        Execute(dir, "UPDATE job_requests SET attempts = 3 WHERE job_id = $id", jobId);

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var job = await app.GetJsonAsync($"/v1/jobs/{jobId}");

            Assert.Equal("interrupted", job.GetProperty("state").GetString());
            Assert.Equal(3, job.GetProperty("attempt").GetInt32());
            Assert.Contains("3 times", job.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal("interrupted", Scalar(dir, "SELECT state FROM jobs WHERE id = $id", jobId));
        }
    }

    [Fact]
    public async Task AFitStoppedAfterRegistering_ThreeTimes_IsInterrupted_NamingTheEvaluationThatGivesItsVersionItsReport()
    {
        var dir = TempDirectory.Create();
        // What three stops after registering 1.1.0, each before its held-out report, leave (qa40a #1).
        var (jobId, _) = await FitThenStoppedAsync(dir);
        Execute(dir, "UPDATE job_requests SET attempts = 3 WHERE job_id = $id", jobId);
        RegisteredWithoutItsReport(dir, "1.1.0");

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var job = await app.GetJsonAsync($"/v1/jobs/{jobId}");

            Assert.Equal("interrupted", job.GetProperty("state").GetString());
            var error = job.GetProperty("error").GetString()!;
            Assert.Contains("renewal-risk@1.1.0 was registered without its report", error, StringComparison.Ordinal);
            const string Evaluate = "POST /v1/agents/renewal-risk/versions/1.1.0/evaluate with caseSet telco-churn:holdout-20260101";
            Assert.Contains(Evaluate, error, StringComparison.Ordinal);

            // Doing what it says gives the version the report the fit would have written, and the gate takes it.
            var (_, evaluated) = await RunToEndAsync(app.Client, "/v1/agents/renewal-risk/versions/1.1.0/evaluate", """{"caseSet":"telco-churn:holdout-20260101"}""");
            var report = await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.1.0/reports/latest");
            Assert.Equal("telco-churn:holdout-20260101", report.GetProperty("caseSet").GetString());
            Assert.Equal(evaluated.GetProperty("total").GetInt32(), report.GetProperty("cases").GetInt32());
            using var promote = await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.1.0/promote", Json("""{"canaryPercent":100}"""));
            Assert.True(promote.StatusCode == HttpStatusCode.OK, await promote.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task AFitThatMovedToTheNextVersion_ResumesWithTheVersionItRegistered_NotTheOneItChoseFirst()
    {
        var dir = TempDirectory.Create();
        string jobId;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            // Another process (a CLI fit, a registration) takes 1.1.0; the server's fit then registers 1.2.0.
            await AgentCrm.Runtime.Tests.Reviews.Variants.RegisterAsync(app, "1.1.0");
            (jobId, var done) = await RunToEndAsync(app.Client, "/v1/agents/fit", """{"kind":"renewal-risk","caseSet":"telco-churn"}""");
            Assert.StartsWith("renewal-risk@1.2.0", done.GetProperty("subject").GetString(), StringComparison.Ordinal);
        }
        // What a fit that chose 1.1.0 (free when it was accepted), met it taken at registration and moved to 1.2.0 leaves when the
        // server stops before its held-out report: request and subject name 1.1.0, 1.2.0 registered without its report (rev40 #1).
        Execute(dir, "UPDATE jobs SET state = 'running', done = 0, total = 0, report_id = NULL, subject = 'renewal-risk@1.1.0 on telco-churn' WHERE id = $id", jobId);
        Execute(dir, "UPDATE job_requests SET request = json_set(request, '$.fit.version', '1.1.0', '$.fit.versionChosen', json('true')) WHERE job_id = $id", jobId);
        RegisteredWithoutItsReport(dir, "1.2.0");

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var job = await JobPolling.WaitAsync(app.Client, jobId);

            Assert.True(job.GetProperty("state").GetString() == "succeeded", job.GetRawText());
            Assert.Equal("renewal-risk@1.2.0 on telco-churn", job.GetProperty("subject").GetString());
            // The fit's own version gets the held-out report; the version another process registered gets none from this job.
            Assert.Equal(0L, Scalar(dir, "SELECT COUNT(*) FROM sandbox_reports WHERE agent_id = 'renewal-risk' AND version = '1.1.0'"));
            Assert.Equal(1L, Scalar(dir, "SELECT COUNT(*) FROM sandbox_reports WHERE agent_id = 'renewal-risk' AND version = '1.2.0'"));
        }
    }

    [Fact]
    public async Task AFitResumedAfterItsCaseSetChanged_DoesNotEvaluateItsVersionOnTheNewSetsPart_AndSaysTheVersionHasNoReport()
    {
        var dir = TempDirectory.Create();
        // Stopped before its held-out report, and the set it was given is not the one stored under its name any more (rev40 #4):
        // the part held out of the set stored now may hold cases the version trained on.
        var (jobId, reportId) = await FitThenStoppedAsync(dir);
        Execute(dir, "UPDATE job_requests SET request = json_set(request, '$.fit.caseSetHash', 'sha256:another-content') WHERE job_id = $id", jobId);
        Execute(dir, "DELETE FROM sandbox_reports WHERE id = $id", reportId);

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var job = await JobPolling.WaitAsync(app.Client, jobId);

            Assert.Equal("failed", job.GetProperty("state").GetString());
            Assert.Contains("renewal-risk@1.1.0 was registered without its report: case set 'telco-churn' holds other content", job.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(0L, Scalar(dir, "SELECT COUNT(*) FROM sandbox_reports WHERE agent_id = 'renewal-risk' AND version = '1.1.0'"));
        }
    }

    [Fact]
    public async Task ACancelledFit_ThatHadNotRegistered_EndsCancelled_EvenWhenAnotherProcessTookTheVersionItChose()
    {
        var dir = TempDirectory.Create();
        // A fit that chose 1.1.0, which another process then took, cancelled before it registered anything; the server stopped
        // before the job's end was stored (rev40b #1: it was fitted again, moved to the next version and succeeded).
        var (jobId, _) = await FitThenStoppedAsync(dir, app => AgentCrm.Runtime.Tests.Reviews.Variants.RegisterAsync(app, "1.1.0"));
        Execute(dir, "UPDATE jobs SET subject = 'renewal-risk@1.1.0 on telco-churn' WHERE id = $id", jobId);
        Execute(dir, """
            UPDATE job_requests SET request = json_set(json_remove(request, '$.fit.registered'), '$.fit.version', '1.1.0',
                '$.cancel', json('{"actor":"key:ops","reason":"cancelled by ops","at":"2026-12-07T10:00:00+00:00"}')) WHERE job_id = $id
            """, jobId);

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var job = await JobPolling.WaitAsync(app.Client, jobId);

            Assert.True(job.GetProperty("state").GetString() == "cancelled", job.GetRawText());
            Assert.Equal("cancelled by ops", job.GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task AFitKilledMidRun_RunsAgainAfterTheRestart_AndRegistersItsVersionOnce_WithTheHeldOutReport()
    {
        var dir = TempDirectory.Create();
        string location;
        using (var server = await ServerProcess.StartAsync(dir))
        {
            using var http = server.CreateClient();
            using var start = await http.PostAsync("/v1/agents/fit", Json("""{"kind":"renewal-risk","caseSet":"telco-churn"}"""));
            Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
            location = start.Headers.Location!.OriginalString;
            // SIGKILL once its run has begun (counted durably before the stage leaves `queued`; on a busy machine the 202 can
            // come well before that): a telco fit takes seconds, so it is killed mid-run.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((JsonDocument.Parse(await http.GetStringAsync(location)).RootElement.TryGetProperty("stage", out var stage) ? stage.GetString() : null) == "queued")
            {
                Assert.True(DateTime.UtcNow < deadline, "the fit did not begin within 60 s");
                await Task.Delay(20);
            }
            server.Kill();
        }

        using (var server = await ServerProcess.StartAsync(dir))
        {
            using var http = server.CreateClient();
            var job = await JobPolling.WaitAsync(http, location[(location.LastIndexOf('/') + 1)..]);

            Assert.True(job.GetProperty("state").GetString() == "succeeded", job.GetRawText());
            Assert.Equal(2, job.GetProperty("attempt").GetInt32());
            Assert.Equal("renewal-risk@1.1.0 on telco-churn", job.GetProperty("subject").GetString());
            var versions = JsonDocument.Parse(await http.GetStringAsync("/v1/agents/renewal-risk")).RootElement.GetProperty("versions").EnumerateArray()
                .Select(v => (Version: v.GetProperty("version").GetString(), State: v.GetProperty("state").GetString())).ToList();
            Assert.Equal([("1.0.1", "active"), ("1.1.0", "evaluated")], versions);
            var report = JsonDocument.Parse(await http.GetStringAsync("/v1/agents/renewal-risk/versions/1.1.0/reports/latest")).RootElement;
            Assert.Equal("telco-churn:holdout-20260101", report.GetProperty("caseSet").GetString());
        }
        Assert.Equal(1L, Scalar(dir, "SELECT COUNT(*) FROM sandbox_reports WHERE agent_id = 'renewal-risk' AND version = '1.1.0'"));
    }

    private static async Task<(string JobId, JsonElement Job)> RunToEndAsync(HttpClient client, string path, string body)
    {
        using var start = await client.PostAsync(path, Json(body));
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        var id = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var job = await JobPolling.WaitAsync(client, id);
        Assert.True(job.GetProperty("state").GetString() == "succeeded", job.GetRawText());
        return (id, job);
    }

    /// <summary>
    /// A telco fit run to its end (after <paramref name="before"/>), then left as a stop while it ran leaves it: running, no counts,
    /// no report id. Its job id and report id.
    /// </summary>
    private static async Task<(string JobId, string ReportId)> FitThenStoppedAsync(string dir, Func<AgentCrmApp, Task>? before = null)
    {
        string jobId;
        JsonElement done;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            if (before is not null)
                await before(app);
            (jobId, done) = await RunToEndAsync(app.Client, "/v1/agents/fit", """{"kind":"renewal-risk","caseSet":"telco-churn"}""");
        }
        Execute(dir, "UPDATE jobs SET state = 'running', done = 0, total = 0, report_id = NULL WHERE id = $id", jobId);
        return (jobId, done.GetProperty("reportId").GetString()!);
    }

    /// <summary>What a stop between a fit's registration and its held-out report leaves: renewal-risk@<paramref name="version"/> registered, no report, no evaluated transition.</summary>
    private static void RegisteredWithoutItsReport(string dir, string version)
    {
        Execute(dir, "DELETE FROM sandbox_reports WHERE agent_id = 'renewal-risk' AND version = $id", version);
        Execute(dir, "UPDATE agent_versions SET state = 'registered' WHERE agent_id = 'renewal-risk' AND version = $id", version);
        Execute(dir, "DELETE FROM agent_transitions WHERE agent_id = 'renewal-risk' AND version = $id AND to_state = 'evaluated'", version);
    }

    private static SqliteConnection Open(string dir)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False");
        connection.Open();
        return connection;
    }

    private static void Execute(string dir, string sql, string id)
    {
        using var connection = Open(dir);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$id", id);
        Assert.Equal(1, cmd.ExecuteNonQuery());
    }

    private static object? Scalar(string dir, string sql, string? id = null)
    {
        using var connection = Open(dir);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        if (id is not null)
            cmd.Parameters.AddWithValue("$id", id);
        return cmd.ExecuteScalar();
    }
}
