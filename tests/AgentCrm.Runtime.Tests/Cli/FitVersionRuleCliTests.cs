namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// `agents fit --version` follows the rule a manifest registered now follows (SemVer: no leading zeros): `01.0.0` was accepted and
/// registered a version `agents register` refuses (qa28).
/// </summary>
public sealed class FitVersionRuleCliTests
{
    [Theory]
    [InlineData("01.0.0", "a version number has no leading zeros (01)")]
    [InlineData("1.0.0-01", "a numeric part of the suffix has no leading zeros (01)")]
    public async Task Fit_VersionWithALeadingZero_IsAUsageErrorNamingTheRule_NothingOpened(string version, string rule)
    {
        var data = Path.Combine(TempDirectory.Create(), "data");

        var result = await CliRunner.RunAsync(["agents", "fit", "renewal-risk", "--cases", "iranian-churn", "--version", version, "--data", data]);

        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Equal($"agentcrm: --version: '{version}' is not valid; it takes a version like 1.2.3 or 1.2.3-suffix: {rule} (see agentcrm agents fit --help)", result.Stderr.Trim());
        Assert.False(Directory.Exists(data), "the data directory was created for a command line that was refused");
    }
}
