using System.Text.Json;
using Microsoft.Data.Sqlite;
using AgentCrm.Agents;
using AgentCrm.Cli;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>`agentcrm agents shadow|promote|rollback` refuse what the API refuses, on the data directory, without changing it.</summary>
public sealed class LifecycleCliTests
{
    private static async Task<Dictionary<string, (string State, int Canary)>> StatesAsync(string dir)
    {
        var list = await CliRunner.RunAsync(["agents", "list", "--data", dir, "--json"]);
        Assert.True(list.ExitCode == 0, list.Stderr);
        return JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray().ToDictionary(
            v => v.GetProperty("id").GetString() + "@" + v.GetProperty("version").GetString(),
            v => (v.GetProperty("state").GetString()!, v.GetProperty("canaryPercent").GetInt32()));
    }

    [Fact]
    public async Task Shadow_OnTheActiveVersion_ExitsOneWithOneLine_AndTheVersionStaysActive()
    {
        var dir = TempDirectory.Create();
        var before = await StatesAsync(dir);
        Assert.Equal(("active", 100), before["renewal-risk@1.0.1"]);

        var shadow = await CliRunner.RunAsync(["agents", "shadow", "renewal-risk@1.0.1", "--data", dir]);
        Assert.Equal(1, shadow.ExitCode);
        Assert.Single(shadow.Stderr.Trim().Split('\n'));
        Assert.StartsWith("agentcrm: renewal-risk@1.0.1 is active", shadow.Stderr, StringComparison.Ordinal);
        Assert.Empty(shadow.Stdout);
        Assert.Equal(before, await StatesAsync(dir));
    }

    [Fact]
    public async Task Promote_CanaryOutOfRange_IsAUsageError_AndPromotesNothing()
    {
        var dir = TempDirectory.Create();
        var manifest = await CliTests.NpsWatchManifestAsync(dir);
        Assert.Equal(0, (await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir])).ExitCode);
        // A passing report: a wrongly accepted promote would activate the version.
        var evaluate = await CliRunner.RunAsync(["agents", "evaluate", "nps-watch@2.0.0", "--cases", "telco-churn", "--data", dir]);
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        var before = await StatesAsync(dir);
        Assert.Equal("evaluated", before["nps-watch@2.0.0"].State);

        foreach (var share in new[] { "0", "101", "-5" })
        {
            var promote = await CliRunner.RunAsync(["agents", "promote", "nps-watch@2.0.0", "--canary", share, "--data", dir]);
            Assert.Equal(2, promote.ExitCode);
            Assert.Single(promote.Stderr.Trim().Split('\n'));
            Assert.StartsWith("agentcrm: --canary must be between 1 and 100.", promote.Stderr, StringComparison.Ordinal);
            Assert.Empty(promote.Stdout);
        }
        var notANumber = await CliRunner.RunAsync(["agents", "promote", "nps-watch@2.0.0", "--canary", "all", "--data", dir]);
        Assert.Equal(2, notANumber.ExitCode);
        Assert.Single(notANumber.Stderr.Trim().Split('\n'));
        Assert.Equal(before, await StatesAsync(dir));

        var full = await CliRunner.RunAsync(["agents", "promote", "nps-watch@2.0.0", "--canary", "100", "--data", dir]);
        Assert.True(full.ExitCode == 0, full.Stderr);
        Assert.Equal(("active", 100), (await StatesAsync(dir))["nps-watch@2.0.0"]);
        // Registered, evaluated and promoted from the command line: each audited with the user who ran it, as keys are.
        Assert.Equal(3L, Count(dir, $"SELECT COUNT(*) FROM audit WHERE subject = 'agent:nps-watch@2.0.0' AND actor = 'cli:{Environment.UserName}'"));
        Assert.Equal(0L, Count(dir, $"SELECT COUNT(*) FROM audit WHERE subject = 'agent:nps-watch@2.0.0' AND actor <> 'cli:{Environment.UserName}'"));
    }

    [Fact]
    public void ListTable_DuringACanary_ShowsEachActiveVersionsShareOfCustomers()
    {
        static AgentVersionDto Row(string version, string state, int canary) => new("nps-watch", version, "rules", "test", state, canary, new string('a', 64),
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, new AgentManifest { Id = "nps-watch", Version = version, Kind = "rules" });
        var rows = new[] { Row("1.0.0", "active", 100), Row("2.0.0", "active", 10), Row("0.9.0", "retired", 100) };

        Assert.Equal("active (90% of customers)", AgentsCommand.StateWithShare(rows[0], rows));
        Assert.Equal("active (canary, 10% of customers)", AgentsCommand.StateWithShare(rows[1], rows));
        Assert.Equal("retired", AgentsCommand.StateWithShare(rows[2], rows));
        Assert.Equal("active", AgentsCommand.StateWithShare(rows[0], [rows[0], rows[2]]));
    }

    [Fact]
    public async Task Rollback_AfterUnregister_ExitsOneWithOneLine_AndNothingComesBack()
    {
        var dir = TempDirectory.Create();
        Assert.Equal(0, (await CliRunner.RunAsync(["agents", "unregister", "renewal-risk", "--data", dir])).ExitCode);
        var rollback = await CliRunner.RunAsync(["agents", "rollback", "renewal-risk", "--data", dir]);
        Assert.Equal(1, rollback.ExitCode);
        Assert.Single(rollback.Stderr.Trim().Split('\n'));
        Assert.StartsWith("agentcrm: renewal-risk was unregistered", rollback.Stderr, StringComparison.Ordinal);
        Assert.Equal(("retired", 100), (await StatesAsync(dir))["renewal-risk@1.0.1"]);
    }

    [Fact]
    public async Task Evaluate_WhoseEvaluatedMarkCannotBeStored_StoresNoReport_AndAgainOnceItCan_StoresBoth()
    {
        var dir = TempDirectory.Create();
        var manifest = await CliTests.NpsWatchManifestAsync(dir);
        var register = await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir]);
        Assert.True(register.ExitCode == 0, register.Stderr);
        // The disk fills between the report and the mark: the mark's write fails.
        Execute(dir, "CREATE TRIGGER lose_mark BEFORE UPDATE OF state ON agent_versions WHEN NEW.state = 'evaluated' BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected on agent_versions)'); END");

        var failed = await CliRunner.RunAsync(["agents", "evaluate", "nps-watch@2.0.0", "--cases", "telco-churn", "--data", dir, "--json"]);

        Assert.Equal(1, failed.ExitCode);
        Assert.Single(failed.Stderr.Trim().Split('\n'));
        Assert.Equal((0L, "registered"), (Count(dir, "SELECT COUNT(*) FROM sandbox_reports WHERE agent_id = 'nps-watch'"), (await StatesAsync(dir))["nps-watch@2.0.0"].State));

        Execute(dir, "DROP TRIGGER lose_mark");
        var evaluated = await CliRunner.RunAsync(["agents", "evaluate", "nps-watch@2.0.0", "--cases", "telco-churn", "--data", dir, "--json"]);
        Assert.True(evaluated.ExitCode == 0, evaluated.Stderr);
        Assert.Equal((1L, "evaluated"), (Count(dir, "SELECT COUNT(*) FROM sandbox_reports WHERE agent_id = 'nps-watch'"), (await StatesAsync(dir))["nps-watch@2.0.0"].State));
    }

    private static void Execute(string dir, string sql)
    {
        using var connection = Open(dir);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static long Count(string dir, string sql)
    {
        using var connection = Open(dir);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    private static SqliteConnection Open(string dir)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "agentcrm.db"), Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}
