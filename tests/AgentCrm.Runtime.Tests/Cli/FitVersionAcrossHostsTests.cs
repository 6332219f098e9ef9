using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Sandbox;
using AgentCrm.Sandbox;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// Fits of one kind in two hosts on one data directory (the server's fit jobs, `agentcrm agents fit`, `agents register`): each
/// registers under its own version and none throws its fit away (qa31: a CLI fit beside a server fit job picked the same
/// renewal-risk@1.5.0, and whichever registered second failed with "already registered with different content").
/// </summary>
public sealed class FitVersionAcrossHostsTests
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task ACliFit_BesideAServerFitJobOfTheSameKind_PicksAnotherVersion_AndBothRegister()
    {
        await using var app = await StartWithCasesAsync();
        var (gate, blocker) = HoldTheFitTurn(app);
        var job = await StartFitAsync(app, """{"kind":"renewal-risk","caseSet":"fit-cases"}""");
        Assert.Equal("renewal-risk@1.1.0 on fit-cases", job.Subject);

        // Another seed: another model, so the same version would be other content.
        var cli = await CliRunner.RunAsync(["agents", "fit", "renewal-risk", "--cases", "fit-cases", "--seed", "7", "--data", app.DataDirectory, "--json"],
            timeLimit: TimeSpan.FromMinutes(3));
        gate.SetResult();
        await blocker;
        var ended = await JobPolling.WaitAsync(app.Client, job.Id);

        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Equal("renewal-risk@1.2.0", JsonDocument.Parse(cli.Stdout).RootElement.GetProperty("agent").GetString());
        Assert.True(ended.GetProperty("state").GetString() == "succeeded", ended.GetRawText());
        Assert.Equal("renewal-risk@1.1.0 on fit-cases", ended.GetProperty("subject").GetString());
        Assert.Equal(["1.0.1", "1.0.5", "1.1.0", "1.2.0"], Versions(app.DataDirectory));
    }

    [Fact]
    public async Task AServerFitWhoseChosenVersionIsTakenMeanwhile_RegistersTheNextFreeOne_AndSaysSo_AnAskedForOneFailsSayingHowToPickAnother()
    {
        await using var app = await StartWithCasesAsync();
        var (gate, blocker) = HoldTheFitTurn(app);
        var chosen = await StartFitAsync(app, """{"kind":"renewal-risk","caseSet":"fit-cases"}""");
        var next = await StartFitAsync(app, """{"kind":"renewal-risk","caseSet":"fit-cases","seed":5}""");
        var asked = await StartFitAsync(app, """{"kind":"renewal-risk","caseSet":"fit-cases","version":"5.0.0"}""");
        Assert.Equal(("renewal-risk@1.1.0 on fit-cases", "renewal-risk@1.2.0 on fit-cases"), (chosen.Subject, next.Subject));

        // Another host takes 1.1.0 and 5.0.0 while the fits wait: `agents register` holds no version a server can see beforehand,
        // as a CLI fit that began before the jobs were accepted holds none.
        foreach (var version in new[] { "1.1.0", "5.0.0" })
        {
            var register = await CliRunner.RunAsync(["agents", "register", await OtherContentAsync(app, version), "--data", app.DataDirectory]);
            Assert.True(register.ExitCode == 0, register.Stderr);
        }
        gate.SetResult();
        await blocker;

        // 1.2.0 is held by the queued job: the moved fit takes 1.3.0.
        var moved = await JobPolling.WaitAsync(app.Client, chosen.Id);
        Assert.True(moved.GetProperty("state").GetString() == "succeeded", moved.GetRawText());
        Assert.Equal("renewal-risk@1.3.0 on fit-cases", moved.GetProperty("subject").GetString());
        Assert.Equal(ReportIdOf(moved), (await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.3.0/reports/latest")).GetProperty("id").GetString());
        var audit = (await app.GetJsonAsync("/v1/audit?subject=agent:renewal-risk@1.3.0&action=agent.registered")).GetRawText();
        Assert.Contains("renewal-risk@1.1.0, the version chosen for it, was taken meanwhile by another fit or a registration", audit, StringComparison.Ordinal);
        Assert.Equal("succeeded", (await JobPolling.WaitAsync(app.Client, next.Id)).GetProperty("state").GetString());
        var failed = await JobPolling.WaitAsync(app.Client, asked.Id);
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Equal("renewal-risk@5.0.0 was registered by another fit or a registration while this fit ran; versions are immutable, so this fit registered nothing. " +
            "Fit again choosing another version (agents fit --version, or the request's version field).", failed.GetProperty("error").GetString());
        Assert.Equal(["1.0.1", "1.0.5", "1.1.0", "1.2.0", "1.3.0", "5.0.0"], Versions(app.DataDirectory));
        // 5.0.0 is the registration's, untouched by the failed fit.
        Assert.Equal(0.77, (await app.GetJsonAsync("/v1/agents/renewal-risk/versions/5.0.0")).GetProperty("manifest").GetProperty("threshold").GetDouble());
    }

    /// <summary>The fitter `agents fit` runs: its outcome names the version registered and the one taken, which the CLI prints.</summary>
    [Fact]
    public async Task TheFitterTheCliRuns_MovesFromAChosenVersionTakenMeanwhile_AndNamesBoth()
    {
        await using var app = await StartWithCasesAsync();
        var fitter = app.Services.GetRequiredService<AgentFitter>();
        var fit = fitter.Prepare(new FitRequest("renewal-risk", "fit-cases"));
        Assert.Equal("renewal-risk@1.1.0", fit.Agent);
        var register = await CliRunner.RunAsync(["agents", "register", await OtherContentAsync(app, "1.1.0"), "--data", app.DataDirectory]);
        Assert.True(register.ExitCode == 0, register.Stderr);

        var outcome = await fitter.FitAsync(fit, "test");

        Assert.Equal(("renewal-risk@1.2.0", "renewal-risk@1.1.0"), (outcome.Agent, outcome.Taken));
        Assert.Equal("1.2.0", outcome.Result.Manifest.Version);
        Assert.Equal("renewal-risk@1.2.0", $"{outcome.Report.AgentId}@{outcome.Report.Version}");
    }

    [Fact]
    public async Task AFitJobNotResumedAfterItsLastAttempt_HoldsNoVersion_AfterTheRestart()
    {
        var dir = TempDirectory.Create();
        string jobId;
        await using (var app = await StartWithCasesAsync(dir))
        {
            var evaluation = await StartAsync(app, "/v1/agents/renewal-risk/versions/1.0.1/evaluate", """{"caseSet":"fit-cases"}""");
            jobId = evaluation.Id;
            Assert.Equal("succeeded", (await JobPolling.WaitAsync(app.Client, jobId)).GetProperty("state").GetString());
        }
        // As a fit of 1.4.0 the server stopped during three times is left.
        Execute(dir, "UPDATE jobs SET kind = 'fit', subject = 'renewal-risk@1.4.0 on fit-cases', state = 'running', report_id = NULL WHERE id = $id", jobId);
        Execute(dir, """UPDATE job_requests SET attempts = 3, request = '{"actor":"ops","fit":{"kind":"renewal-risk","caseSet":"fit-cases","version":"1.4.0","baseVersion":"1.0.1","seed":1,"categories":[],"crossValidate":false}}' WHERE job_id = $id""", jobId);

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            Assert.Equal("interrupted", (await app.GetJsonAsync($"/v1/jobs/{jobId}")).GetProperty("state").GetString());

            var again = await StartAsync(app, "/v1/agents/fit", """{"kind":"renewal-risk","caseSet":"fit-cases","version":"1.4.0"}""");

            Assert.Equal("succeeded", (await JobPolling.WaitAsync(app.Client, again.Id)).GetProperty("state").GetString());
        }
    }

    /// <summary>Holds the server's one fit turn with a fit of 1.0.5 that waits for the gate, so fit jobs accepted meanwhile stay running (queued).</summary>
    private static (TaskCompletionSource Gate, Task Blocker) HoldTheFitTurn(AgentCrmApp app)
    {
        var fitter = app.Services.GetRequiredService<AgentFitter>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocker = fitter.FitAsync(fitter.Prepare(new FitRequest("renewal-risk", "fit-cases") { Version = "1.0.5" }), "test", begins: () => gate.Task);
        return (gate, blocker);
    }

    private static Task<(string Id, string Subject)> StartFitAsync(AgentCrmApp app, string body) => StartAsync(app, "/v1/agents/fit", body);

    private static async Task<(string Id, string Subject)> StartAsync(AgentCrmApp app, string path, string body)
    {
        using var response = await app.Client.PostAsync(path, Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        var job = JsonDocument.Parse(text).RootElement;
        return (job.GetProperty("id").GetString()!, job.GetProperty("subject").GetString()!);
    }

    private static string? ReportIdOf(JsonElement job) => job.GetProperty("reportId").GetString();

    /// <summary>A manifest file of renewal-risk@<paramref name="version"/> unlike any fit's: the built-in one with another threshold.</summary>
    private static async Task<string> OtherContentAsync(AgentCrmApp app, string version)
    {
        var manifest = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>((await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.0.1")).GetProperty("manifest").GetRawText())!;
        manifest["version"] = JsonSerializer.SerializeToElement(version);
        manifest["threshold"] = JsonSerializer.SerializeToElement(0.77);
        var path = Path.Combine(TempDirectory.Create(), $"renewal-risk-{version}.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(manifest));
        return path;
    }

    /// <summary>A server with <c>fit-cases</c>: 200 customers whose fit takes a second or two (short tenure and low NPS churn, some noise).</summary>
    private static async Task<AgentCrmApp> StartWithCasesAsync(string? dir = null)
    {
        var app = await AgentCrmApp.StartAsync(dir);
        await FitApiTests.Server.AddFitCasesAsync(app);
        return app;
    }

    private static List<string> Versions(string dir)
    {
        using var connection = Open(dir);
        using var select = connection.CreateCommand();
        select.CommandText = "SELECT version FROM agent_versions WHERE agent_id = 'renewal-risk' ORDER BY version";
        using var r = select.ExecuteReader();
        var versions = new List<string>();
        while (r.Read())
            versions.Add(r.GetString(0));
        return versions;
    }

    private static void Execute(string dir, string sql, string id)
    {
        using var connection = Open(dir);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$id", id);
        Assert.Equal(1, cmd.ExecuteNonQuery());
    }

    private static SqliteConnection Open(string dir)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False");
        connection.Open();
        return connection;
    }
}
