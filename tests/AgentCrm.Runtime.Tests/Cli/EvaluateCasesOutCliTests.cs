using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>`agents evaluate --cases-out FILE.csv`: every case's label, score, decision and segment, so a report can be audited case by case.</summary>
public sealed class EvaluateCasesOutCliTests
{
    [Fact]
    public async Task Evaluate_WithCasesOut_WritesOneRowPerCase_WhoseOutcomesSumToTheReport()
    {
        var dir = TempDirectory.Create();
        var csv = Path.Combine(dir, "cases.csv");

        var result = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases", "telco-churn", "--cases-out", csv, "--data", dir, "--json"]);

        Assert.True(result.ExitCode is 0 or 1 && result.Stdout.Length > 0, result.Stderr);
        var report = JsonDocument.Parse(result.Stdout).RootElement;
        var lines = await File.ReadAllLinesAsync(csv);
        Assert.Equal("caseId,label,score,fired,segment,outcome", lines[0]);
        Assert.Equal(report.GetProperty("cases").GetInt32(), lines.Length - 1);
        var outcomes = lines.Skip(1).Select(l => l.Split(',')[^1]).GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        var confusion = report.GetProperty("confusion");
        Assert.Equal(confusion.GetProperty("truePositives").GetInt32(), outcomes.GetValueOrDefault("TP"));
        Assert.Equal(confusion.GetProperty("falsePositives").GetInt32(), outcomes.GetValueOrDefault("FP"));
        Assert.Equal(confusion.GetProperty("falseNegatives").GetInt32(), outcomes.GetValueOrDefault("FN"));
        Assert.Equal(confusion.GetProperty("trueNegatives").GetInt32(), outcomes.GetValueOrDefault("TN"));
        // A fired case's score reaches the threshold the report was replayed at.
        var threshold = report.GetProperty("threshold").GetDouble();
        Assert.All(lines.Skip(1).Select(l => l.Split(',')).Where(f => f[3] == "1"), f => Assert.True(double.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture) >= threshold));
    }

    [Fact]
    public async Task Evaluate_WithCasesOutInAFolderThatDoesNotExist_FailsBeforeTheReplay()
    {
        var dir = TempDirectory.Create();
        var missing = Path.Combine(dir, "missing");

        var result = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases", "telco-churn", "--cases-out", Path.Combine(missing, "c.csv"), "--data", dir]);

        Assert.Equal((1, $"agentcrm: --cases-out: no such folder: {missing}"), (result.ExitCode, result.Stderr.Trim()));
    }
}
