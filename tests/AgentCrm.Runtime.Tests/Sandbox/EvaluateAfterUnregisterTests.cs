using System.Net;
using System.Text;
using AgentCrm.Agents;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Sandbox;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>
/// Unregister is final: none of an unregistered agent's versions can be promoted or rolled back to again, so an evaluation of
/// one is refused (409, one line in the CLI) instead of running a job whose report nothing can use.
/// </summary>
public sealed class EvaluateAfterUnregisterTests
{
    private static long Jobs(string dir)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "agentcrm.db"), Pooling = false }.ToString());
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM jobs";
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task EvaluateOverHttp_AVersionOfAnUnregisteredAgent_Is409_AndStartsNoJob()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var ops = await app.ClientAsync("ops", "ops-unregisterer");
        using (var unregistered = await ops.DeleteAsync("/v1/agents/renewal-risk"))
            Assert.True(unregistered.IsSuccessStatusCode, await unregistered.Content.ReadAsStringAsync());

        using var evaluate = await ops.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/evaluate",
            new StringContent("""{"caseSet":"telco-churn"}""", Encoding.UTF8, "application/json"));
        var problem = await evaluate.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("renewal-risk was unregistered", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0L, Jobs(app.DataDirectory));

        // An uploaded case file is refused alike, and not stored.
        using var form = new MultipartFormDataContent
        {
            { new StringContent("customerID,Churn\nc1,Yes\n"), "cases", "cases.csv" },
            { new StringContent("id: customerID\nlabel: { column: Churn, positive: \"Yes\" }\n"), "mapping", "mapping.yaml" },
        };
        using var upload = await ops.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/evaluate", form);
        await upload.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(0L, Jobs(app.DataDirectory));
    }

    [Fact]
    public async Task EvaluateInTheCli_AVersionOfAnUnregisteredAgent_ExitsOneWithOneLine_AndStoresNoReport()
    {
        var dir = TempDirectory.Create();
        Assert.Equal(0, (await CliRunner.RunAsync(["agents", "unregister", "renewal-risk", "--data", dir])).ExitCode);

        var evaluate = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases", "telco-churn", "--data", dir]);

        Assert.Equal(1, evaluate.ExitCode);
        Assert.Single(evaluate.Stderr.Trim().Split('\n'));
        Assert.StartsWith("agentcrm: renewal-risk was unregistered", evaluate.Stderr, StringComparison.Ordinal);
        var list = await CliRunner.RunAsync(["agents", "list", "--data", dir, "--json"]);
        Assert.Equal(0, list.ExitCode);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "agentcrm.db"), Pooling = false }.ToString());
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM sandbox_reports";
        Assert.Equal(0L, (long)cmd.ExecuteScalar()!);
    }

    private static long Reports(string dir)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "agentcrm.db"), Pooling = false }.ToString());
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM sandbox_reports";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Calls back on the replay worker that reports, as the replay goes on.</summary>
    private sealed class InlineProgress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }

    [Fact]
    public async Task Evaluate_OfAnAgentUnregisteredWhileItRuns_StoresNoReport_AndSaysWhoUnregisteredIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var registry = app.Services.GetRequiredService<AgentRegistry>();
        // What the CLI reads before it starts (a server beside it unregisters the agent while the cases are replayed).
        var asked = registry.TransitionsSeq();
        var unregistered = 0;
        var progress = new InlineProgress(p =>
        {
            if (p.Done > 0 && Interlocked.Exchange(ref unregistered, 1) == 0)
                Task.Run(() => registry.UnregisterAsync("renewal-risk", "key:ops-unregisterer")).GetAwaiter().GetResult();
        });

        var refused = await Assert.ThrowsAsync<AgentConflictException>(() => app.Services.GetRequiredService<Evaluator>()
            .EvaluateAsync("renewal-risk", "1.0.1", "telco-churn", "cli:root", progress, unlessUnregisteredAfter: asked));

        Assert.Equal(1, unregistered);
        Assert.Equal("renewal-risk was unregistered while renewal-risk@1.0.1 was evaluated (by key:ops-unregisterer); no report stored.", refused.Message);
        Assert.Equal(0L, Reports(app.DataDirectory));
        Assert.Empty((await app.GetJsonAsync("/v1/audit?action=report.created")).GetProperty("items").EnumerateArray());
    }
}
