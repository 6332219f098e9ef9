using System.Text.Json;
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
        Assert.Equal(("active", 100), before["renewal-risk@1.0.0"]);

        var shadow = await CliRunner.RunAsync(["agents", "shadow", "renewal-risk@1.0.0", "--data", dir]);
        Assert.Equal(1, shadow.ExitCode);
        Assert.Single(shadow.Stderr.Trim().Split('\n'));
        Assert.StartsWith("agentcrm: renewal-risk@1.0.0 is active", shadow.Stderr, StringComparison.Ordinal);
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
        Assert.Equal(("retired", 100), (await StatesAsync(dir))["renewal-risk@1.0.0"]);
    }
}
