namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>What `agents fit` proposes to do next: promote a version whose gate passed, never one whose gate failed.</summary>
public sealed class FitNextStepCliTests
{
    private static string Shipped(params string[] path) => Path.Combine([AppContext.BaseDirectory, "sandbox", .. path]);

    [Fact]
    public async Task Fit_WhoseGateFails_ProposesShadowNotPromote_AndPromoteRefusesIt()
    {
        var dir = TempDirectory.Create();
        // 150 telco customers: 45 held out, fewer than the gate's 200 cases.
        var lines = await File.ReadAllLinesAsync(Shipped("data", "churn", "ibm-telco", "Telco-Customer-Churn.csv"));
        var csv = Path.Combine(dir, "small-telco.csv");
        await File.WriteAllLinesAsync(csv, lines.Take(151));
        var add = await CliRunner.RunAsync(["cases", "add", "small-telco", csv, "--mapping", Shipped("mappings", "telco-churn.yaml"), "--data", dir]);
        Assert.True(add.ExitCode == 0, add.Stderr);

        var fit = await CliRunner.RunAsync(["agents", "fit", "renewal-risk", "--cases", "small-telco", "--data", dir]);

        Assert.True(fit.ExitCode == 0, fit.Stderr);
        Assert.Contains("gate on small-telco:holdout-20260101: FAILED: ", fit.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("agents promote", fit.Stdout, StringComparison.Ordinal);
        Assert.Contains("  next: not promotable (its gate failed); run it live without delivering its briefs: agentcrm agents shadow renewal-risk@1.1.0", fit.Stdout, StringComparison.Ordinal);
        var promote = await CliRunner.RunAsync(["agents", "promote", "renewal-risk@1.1.0", "--data", dir]);
        Assert.NotEqual(0, promote.ExitCode);
        var shadow = await CliRunner.RunAsync(["agents", "shadow", "renewal-risk@1.1.0", "--data", dir]);
        Assert.True(shadow.ExitCode == 0, shadow.Stderr);
    }

    [Fact]
    public async Task Fit_WhoseGatePasses_ProposesPromote()
    {
        var dir = TempDirectory.Create();

        var fit = await CliRunner.RunAsync(["agents", "fit", "renewal-risk", "--cases", "telco-churn", "--data", dir]);

        Assert.True(fit.ExitCode == 0, fit.Stderr);
        Assert.Contains("gate on telco-churn:holdout-20260101: passed", fit.Stdout, StringComparison.Ordinal);
        Assert.Contains("  next: agentcrm agents promote renewal-risk@1.1.0", fit.Stdout, StringComparison.Ordinal);
    }
}
