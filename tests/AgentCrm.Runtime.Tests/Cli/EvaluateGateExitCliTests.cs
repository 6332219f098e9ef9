using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// A pipeline gates on `agents evaluate`'s exit code: a version that does not pass its gate exits 1 (as a broken audit chain
/// does), its report printed and stored all the same. It printed `gate: FAILED` and exited 0 (qa28).
/// </summary>
public sealed class EvaluateGateExitCliTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Evaluate_GateNotPassed_ExitsOne_WithTheReportPrintedAndStored(bool json)
    {
        var dir = TempDirectory.Create();

        // The built-in renewal-risk never fires on the Iranian churn set: precision cannot be measured, recall 0, the gate fails.
        var result = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases", "iranian-churn", "--data", dir, .. json ? new[] { "--json" } : []]);

        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stderr}");
        var line = result.Stderr.Trim().Split('\n').Single(l => !l.StartsWith("agentcrm: created a new data directory", StringComparison.Ordinal));
        Assert.StartsWith("agentcrm: renewal-risk@1.0.1 did not pass its gate on iranian-churn: precision cannot be measured: the version fired on none of the ", line, StringComparison.Ordinal);
        var id = System.Text.RegularExpressions.Regex.Match(line, @"\(report (rep_[0-9a-f]+)\)").Groups[1].Value;
        Assert.True(id.Length > 0, line);
        if (json)
        {
            var report = JsonDocument.Parse(result.Stdout).RootElement;
            Assert.Equal(id, report.GetProperty("id").GetString());
            Assert.False(report.GetProperty("passed").GetBoolean());
        }
        else
        {
            Assert.Contains("gate: FAILED", result.Stdout, StringComparison.Ordinal);
            Assert.Contains($"report {id}", result.Stdout, StringComparison.Ordinal);
        }
        await using var app = await AgentCrmApp.StartAsync(dir);
        Assert.False((await app.GetJsonAsync($"/v1/reports/{id}")).GetProperty("passed").GetBoolean());
    }
}
