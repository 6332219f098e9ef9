using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

public sealed class FitCliTests
{
    [Fact]
    public async Task Fit_OnTheShippedTelcoCases_IsDeterministic_PassesTheGateOnHeldOutCases_AndPromotes()
    {
        var first = TempDirectory.Create();
        var second = TempDirectory.Create();
        var a = await CliRunner.RunAsync(["agents", "fit", "renewal-risk", "--cases", "telco-churn", "--data", first, "--json"]);
        var b = await CliRunner.RunAsync(["agents", "fit", "renewal-risk", "--cases", "telco-churn", "--data", second, "--json"]);
        Assert.True(a.ExitCode == 0, a.Stderr);
        Assert.True(b.ExitCode == 0, b.Stderr);
        var ra = JsonDocument.Parse(a.Stdout).RootElement;
        var rb = JsonDocument.Parse(b.Stdout).RootElement;
        Assert.Equal("renewal-risk@1.1.0", ra.GetProperty("agent").GetString());
        // Same data, same seed: the same weights, so the same content hash.
        Assert.Equal(ra.GetProperty("contentHash").GetString(), rb.GetProperty("contentHash").GetString());

        var report = ra.GetProperty("report");
        Assert.Equal("telco-churn:holdout-20260101", report.GetProperty("caseSet").GetString());
        Assert.Equal(1500, report.GetProperty("cases").GetInt32());
        Assert.True(report.GetProperty("passed").GetBoolean(), report.ToString());
        Assert.True(ra.GetProperty("test").GetProperty("rocAuc").GetDouble() > ra.GetProperty("baseline").GetProperty("rocAuc").GetDouble());

        var promote = await CliRunner.RunAsync(["agents", "promote", "renewal-risk@1.1.0", "--data", first]);
        Assert.True(promote.ExitCode == 0, promote.Stderr);
        var list = JsonDocument.Parse((await CliRunner.RunAsync(["agents", "list", "--data", first, "--json"])).Stdout).RootElement;
        var states = list.GetProperty("items").EnumerateArray().Where(v => v.GetProperty("id").GetString() == "renewal-risk")
            .ToDictionary(v => v.GetProperty("version").GetString()!, v => v.GetProperty("state").GetString());
        Assert.Equal("active", states["1.1.0"]);
        Assert.Equal("retired", states["1.0.1"]);
    }

    [Fact]
    public async Task Fit_UnknownKindIsAUsageError_UnknownCaseSetExitsOne_OneLineEach()
    {
        var dir = TempDirectory.Create();
        var kind = await CliRunner.RunAsync(["agents", "fit", "crystal-ball", "--cases", "telco-churn", "--data", dir]);
        Assert.Equal(2, kind.ExitCode);
        Assert.StartsWith("agentcrm: KIND: 'crystal-ball' is not valid; it takes one of ", kind.Stderr, StringComparison.Ordinal);
        Assert.Single(kind.Stderr.Trim().Split('\n'));
        var cases = await CliRunner.RunAsync(["agents", "fit", "renewal-risk", "--cases", "nope", "--data", dir]);
        Assert.Equal(1, cases.ExitCode);
        Assert.Contains("No case set 'nope'", cases.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FitOrEvaluate_OnAnotherScenariosCaseSet_ExitsOneWithOneLine_AndRegistersNothing()
    {
        var dir = TempDirectory.Create();
        foreach (var args in new[] { new[] { "agents", "fit", "renewal-risk", "--cases", "canada-tenders" }, ["agents", "evaluate", "renewal-risk@1.0.1", "--cases", "claudette-tos"] })
        {
            var refused = await CliRunner.RunAsync([.. args, "--data", dir]);
            Assert.True(refused.ExitCode == 1, $"exit {refused.ExitCode}: {refused.Stderr}");
            Assert.Single(refused.Stderr.Trim().Split('\n'));
            Assert.Contains("cases only", refused.Stderr, StringComparison.Ordinal);
        }
        var list = await CliRunner.RunAsync(["agents", "list", "--data", dir, "--json"]);
        var versions = JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray()
            .Where(v => v.GetProperty("id").GetString() == "renewal-risk").ToList();
        Assert.Equal(["1.0.1"], versions.Select(v => v.GetProperty("version").GetString()));
        Assert.Equal("active", versions[0].GetProperty("state").GetString());
    }

    /// <summary>An --out the fit could not write is told before fitting: no version registered behind a failed exit.</summary>
    [Fact]
    public async Task Fit_OutInAFolderThatDoesNotExist_FailsNamingOut_AndRegistersNothing()
    {
        var dir = TempDirectory.Create();
        var missing = Path.Combine(dir, "missing");

        var fit = await CliRunner.RunAsync(["agents", "fit", "renewal-risk", "--cases", "iranian-churn", "--version", "7.0.0", "--out", Path.Combine(missing, "m.json"), "--data", dir, "--json"],
            timeLimit: TimeSpan.FromMinutes(4));

        Assert.Equal((1, $"agentcrm: --out: no such folder: {missing}", ""), (fit.ExitCode, fit.Stderr.Trim(), fit.Stdout));
        var list = await CliRunner.RunAsync(["agents", "list", "--data", dir, "--json"]);
        Assert.DoesNotContain(JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray(), v => v.GetProperty("version").GetString() == "7.0.0");
    }

    /// <summary>The text kinds fit the same way: a new version, gated on the held-out part, and the manifest written with --out.</summary>
    [Fact]
    public async Task Fit_TenderDetection_OnTheShippedTenders_RegistersAGatedVersion_AndWritesTheManifest()
    {
        var dir = TempDirectory.Create();
        var manifestFile = Path.Combine(dir, "tender.json");
        var fit = await CliRunner.RunAsync(["agents", "fit", "tender-detection", "--cases", "canada-tenders", "--data", dir, "--json", "--out", manifestFile], timeLimit: TimeSpan.FromMinutes(4));
        Assert.True(fit.ExitCode == 0, fit.Stderr);
        var r = JsonDocument.Parse(fit.Stdout).RootElement;
        Assert.Equal("tender-detection@1.1.0", r.GetProperty("agent").GetString());
        var report = r.GetProperty("report");
        Assert.Equal("canada-tenders:holdout-20260101", report.GetProperty("caseSet").GetString());
        Assert.Equal(1200, report.GetProperty("cases").GetInt32());
        Assert.True(report.GetProperty("passed").GetBoolean(), report.ToString());
        Assert.True(r.GetProperty("test").GetProperty("f1").GetDouble() > r.GetProperty("baseline").GetProperty("f1").GetDouble());

        var written = JsonDocument.Parse(await File.ReadAllTextAsync(manifestFile)).RootElement;
        Assert.Equal("tender-detection", written.GetProperty("kind").GetString());
        Assert.Equal("text", written.GetProperty("parameters").GetProperty("model").GetProperty("type").GetString());
        var promote = await CliRunner.RunAsync(["agents", "promote", "tender-detection@1.1.0", "--data", dir]);
        Assert.True(promote.ExitCode == 0, promote.Stderr);
    }
}
