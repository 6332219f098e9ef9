using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>`agents fit compliance-check --cases cuad --spans …`: the CUAD clause model as a new version with a default policy.</summary>
public sealed class ClauseFitCliTests
{
    private static string Cuad(string file) => Path.Combine(AppContext.BaseDirectory, "sandbox", "data", "compliance", "cuad", file);

    /// <summary>A fresh data directory: `cuad` is one of the case sets registered on first use, nothing to add.</summary>
    private static async Task<string> DataWithCuadAsync()
    {
        var dir = TempDirectory.Create();
        var list = await CliRunner.RunAsync(["cases", "list", "--data", dir]);
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Contains("cuad", list.Stdout, StringComparison.Ordinal);
        return dir;
    }

    [Fact]
    public async Task Fit_WithSpans_OnTwoCategories_RegistersAVersionWithTheClauseModelAndPolicy_AndWritesTheManifest()
    {
        var dir = await DataWithCuadAsync();
        var manifestFile = Path.Combine(dir, "compliance.json");

        var fit = await CliRunner.RunAsync(["agents", "fit", "compliance-check", "--cases", "cuad", "--spans", Cuad("master_clauses.csv"),
            "--categories", "cap-on-liability,most-favored-nation", "--data", dir, "--json", "--out", manifestFile], timeLimit: TimeSpan.FromMinutes(4));

        Assert.True(fit.ExitCode == 0, fit.Stderr);
        var r = JsonDocument.Parse(fit.Stdout).RootElement;
        Assert.Equal("compliance-check@1.1.0", r.GetProperty("agent").GetString());
        Assert.Equal(["cap-on-liability", "most-favored-nation"], r.GetProperty("perLabel").EnumerateArray().Select(l => l.GetProperty("label").GetString()));
        Assert.Equal(JsonValueKind.Null, r.GetProperty("crossValidation").ValueKind);
        var report = r.GetProperty("report");
        Assert.Equal(12, report.GetProperty("cases").GetInt32());
        // 40 contracts cannot meet the 200-case gate: the version stays in shadow.
        Assert.False(report.GetProperty("passed").GetBoolean());

        var written = JsonDocument.Parse(await File.ReadAllTextAsync(manifestFile)).RootElement;
        var parameters = written.GetProperty("parameters");
        Assert.Equal("text", parameters.GetProperty("model").GetProperty("type").GetString());
        Assert.Equal(["cap-on-liability", "most-favored-nation"], parameters.GetProperty("clauseModel").GetProperty("classes").EnumerateObject().Select(c => c.Name));
        Assert.Equal("""{"require":["cap-on-liability"],"flag":["most-favored-nation"]}""", parameters.GetProperty("policy").GetRawText());
        Assert.Contains("span-supervised", written.GetProperty("description").GetString(), StringComparison.Ordinal);

        var versions = await CliRunner.RunAsync(["agents", "list", "--data", dir]);
        Assert.Contains("1.1.0", versions.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fit_BadClauseOptions_FailWithAOneLineMessage_AndRegisterNothing()
    {
        var dir = await DataWithCuadAsync();

        var category = await CliRunner.RunAsync(["agents", "fit", "compliance-check", "--cases", "cuad", "--categories", "telepathy", "--data", dir]);
        Assert.Equal(1, category.ExitCode);
        Assert.Contains("telepathy", category.Stderr, StringComparison.Ordinal);
        Assert.Single(category.Stderr.Trim().Split('\n'));
        // Said in words, not with .NET's parameter suffix ("(Parameter 'categories')").
        Assert.DoesNotContain("(Parameter", category.Stderr, StringComparison.Ordinal);

        var spans = await CliRunner.RunAsync(["agents", "fit", "compliance-check", "--cases", "cuad", "--spans", Path.Combine(dir, "missing.csv"), "--data", dir]);
        Assert.Equal(1, spans.ExitCode);
        Assert.StartsWith($"agentcrm: --spans: no such file: {Path.Combine(dir, "missing.csv")}", spans.Stderr, StringComparison.Ordinal);

        var strangers = Path.Combine(dir, "strangers.csv");
        await File.WriteAllTextAsync(strangers, "Filename,Cap On Liability\nnot-a-shipped-contract.pdf,\"['Liability is capped at the fees paid.']\"\n");
        var noMatch = await CliRunner.RunAsync(["agents", "fit", "compliance-check", "--cases", "cuad", "--spans", strangers, "--categories", "cap-on-liability", "--data", dir]);
        Assert.Equal(1, noMatch.ExitCode);
        Assert.Contains("names none of case set 'cuad'", noMatch.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", noMatch.Stderr, StringComparison.Ordinal);
        Assert.Single(noMatch.Stderr.Trim().Split('\n'));

        var notClauses = await CliRunner.RunAsync(["agents", "fit", "tender-detection", "--cases", "canada-tenders", "--spans", Cuad("master_clauses.csv"), "--data", dir]);
        Assert.Equal(2, notClauses.ExitCode);
        Assert.StartsWith("agentcrm: --spans applies only to compliance-check", notClauses.Stderr, StringComparison.Ordinal);

        var list = await CliRunner.RunAsync(["agents", "list", "--data", dir]);
        Assert.DoesNotContain("1.1.0", list.Stdout, StringComparison.Ordinal);
    }
}
