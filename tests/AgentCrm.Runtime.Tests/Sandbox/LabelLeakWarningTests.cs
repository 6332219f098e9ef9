using System.Text.Json;
using AgentCrm.Runtime.Tests.Cli;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>
/// A mapped column that copies the label fits to a ROC-AUC of 1 and passes its gate: the fit and its report warn, naming the
/// field as a probable label leak, and that no live event fills it (live it is always missing). Warnings, not refusals.
/// </summary>
public sealed class LabelLeakWarningTests
{
    [Fact]
    public async Task Fit_WithAColumnCopyingTheLabel_WarnsOfALabelLeak_AndOfAFieldLiveEventsNeverFill()
    {
        var dir = TempDirectory.Create();
        var csv = Path.Combine(dir, "leak.csv");
        var mapping = Path.Combine(dir, "leak.yaml");
        await File.WriteAllTextAsync(csv, CategoryCaseTests.Csv(600));
        await File.WriteAllTextAsync(mapping, CategoryCaseTests.Mapping.Replace("name: casemix", "name: leak", StringComparison.Ordinal) +
            "\n  - { column: \"Churned?\", field: profile.churnFlag, type: number, values: { \"Yes\": 1, \"No\": 0 } }\n");
        var add = await CliRunner.RunAsync(["cases", "add", "leak", csv, "--mapping", mapping, "--data", dir]);
        Assert.True(add.ExitCode == 0, add.Stderr);

        var fit = await CliRunner.RunAsync(["agents", "fit", "renewal-risk", "--cases", "leak", "--data", dir], timeLimit: TimeSpan.FromMinutes(4));

        Assert.True(fit.ExitCode == 0, fit.Stderr);
        Assert.Contains("  warning: probable label leak: profile.churnFlag alone separates the case set's labels (single-field ROC-AUC 1.000)", fit.Stdout, StringComparison.Ordinal);
        Assert.Contains("no live event fills (profile.churnFlag)", fit.Stdout, StringComparison.Ordinal);
        var evaluate = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.1.0", "--cases", "leak", "--data", dir, "--json"]);
        var warnings = JsonDocument.Parse(evaluate.Stdout).RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
        Assert.Contains(warnings, w => w.StartsWith("probable label leak: profile.churnFlag", StringComparison.Ordinal));
        // The plain columns separate nothing alone: no warning names them.
        Assert.DoesNotContain(warnings, w => w.Contains("tickets.open", StringComparison.Ordinal) || w.Contains("usage.trend30d", StringComparison.Ordinal));
    }
}
