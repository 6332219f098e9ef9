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

    private const string CodeRules = """
        id: ict-codes
        version: 1.0.0
        kind: rules
        scenario: code-score
        subscribes: [usage]
        reads: [services.gsin]
        purpose: customer-success
        threshold: 0.5
        gate: { minCases: 10, minPrecision: 0.1, minRecall: 0.1 }
        rules:
          conditions:
            - { name: ict, when: "startsWith(services.gsin, 'N70') or startsWith(services.gsin, 'D3')", weight: 0.9 }
        """;

    /// <summary>
    /// A code column copying the label (21 GSIN-like codes of 10 cases, the label true exactly for N70 and D3 codes): the report
    /// warns of it as it warned of 20 codes, instead of the gate passing on it silently (qa44d F1).
    /// </summary>
    [Fact]
    public async Task Evaluate_OnACodeColumnOf21ValuesCopyingTheLabel_WarnsOfALabelLeak()
    {
        var dir = TempDirectory.Create();
        string[] codes = [.. Enumerable.Range(0, 21).Select(i => (i % 3) switch { 0 => $"N70{i:00}", 1 => $"D3{i:00}", _ => $"5131{i:00}" })];
        var rows = Enumerable.Range(0, 210).Select(i => $"t{i},{codes[i % 21]},{(codes[i % 21].StartsWith('5') ? 0 : 1)}");
        await File.WriteAllTextAsync(Path.Combine(dir, "codes.csv"), "id,gsin,is_ict\n" + string.Join("\n", rows) + "\n");
        await File.WriteAllTextAsync(Path.Combine(dir, "codes.yaml"), """
            name: codes
            scenario: code-score
            id: id
            label: { column: is_ict, positive: "1", negative: "0" }
            fields:
              - { column: gsin, field: services.gsin, type: text }
            """);
        await File.WriteAllTextAsync(Path.Combine(dir, "ict-codes.yaml"), CodeRules);
        var register = await CliRunner.RunAsync(["agents", "register", Path.Combine(dir, "ict-codes.yaml"), "--data", dir]);
        Assert.True(register.ExitCode == 0, register.Stderr);
        var add = await CliRunner.RunAsync(["cases", "add", "codes", Path.Combine(dir, "codes.csv"), "--mapping", Path.Combine(dir, "codes.yaml"), "--data", dir]);
        Assert.True(add.ExitCode == 0, add.Stderr);

        var evaluate = await CliRunner.RunAsync(["agents", "evaluate", "ict-codes@1.0.0", "--cases", "codes", "--data", dir, "--json"]);

        var warnings = JsonDocument.Parse(evaluate.Stdout).RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
        Assert.Contains(warnings, w => w.StartsWith("probable label leak: services.gsin alone separates the case set's labels (single-field ROC-AUC 1.000)", StringComparison.Ordinal));
    }
}
