using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

public sealed class CliTests
{
    /// <summary>A renewal-risk version on NPS only (nps-watch@2.0.0) whose gate any telco report passes, written to DIR/watch.yaml.</summary>
    internal static async Task<string> NpsWatchManifestAsync(string dir)
    {
        var manifest = Path.Combine(dir, "watch.yaml");
        await File.WriteAllTextAsync(manifest, """
            id: nps-watch
            version: 2.0.0
            kind: renewal-risk
            scenario: renewal-risk
            subscribes: [nps]
            reads: [nps.latest]
            purpose: customer-success
            threshold: 0.5
            gate: { minCases: 100, minPrecision: 0, minRecall: 0 }
            """);
        return manifest;
    }

    [Fact]
    public async Task UsageError_ExitsTwoWithOneLine()
    {
        var result = await CliRunner.RunAsync(["agents", "frobnicate"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.StartsWith("agentcrm: ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_ASyncModeItDoesNotHave_IsAUsageErrorNamingSync()
    {
        var result = await CliRunner.RunAsync(["bench", "--sync", "Fast", "--events", "1000", "--warmup", "0"]);

        Assert.Equal((2, "agentcrm: --sync: 'Fast' is not valid; it takes Normal or Full. (see agentcrm bench --help)"), (result.ExitCode, result.Stderr.Trim()));
    }

    [Fact]
    public async Task Serve_InvalidConfiguration_ExitsOneNamingEachKey_WithoutStackTrace()
    {
        var result = await CliRunner.RunAsync(["serve", "--data", TempDirectory.Create()], new Dictionary<string, string>
        {
            ["Intake__MaxEventsPerRequest"] = "0",
            ["Actors__IdleTimeout"] = "-00:00:01",
            ["Reviews__MaxVetoRate"] = "2",
            ["Consent__DefaultGrants__0__Purpose"] = "customer-success",
            ["Consent__DefaultGrants__0__Categories__0"] = "horoscope",
            ["Consent__DefaultGrants__1__Purpose"] = "../x",
            ["Consent__DefaultGrants__1__Categories__0"] = "usage",
            ["Auth__Jwt__Issuer"] = "https://id.example.com",
        });
        Assert.Equal(1, result.ExitCode);
        foreach (var key in new[] { "Intake:MaxEventsPerRequest", "Actors:IdleTimeout", "Reviews:MaxVetoRate", "Consent:DefaultGrants:0:Categories", "Consent:DefaultGrants:1:Purpose '../x'", "Auth:Jwt:Audience" })
            Assert.Contains(key, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr + result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ASettingOfTheWrongForm_IsOneLineNamingTheKeyAndWhatItTakes()
    {
        var sync = await CliRunner.RunAsync(["serve", "--data", TempDirectory.Create()], new Dictionary<string, string> { ["Storage__Synchronous"] = "Bogus" });
        var idle = await CliRunner.RunAsync(["serve", "--data", TempDirectory.Create()], new Dictionary<string, string> { ["Actors__IdleTimeout"] = "abc" });

        Assert.Equal((1, "agentcrm: invalid configuration: Storage:Synchronous: 'Bogus' is not valid; it takes one of Normal, Full."), (sync.ExitCode, sync.Stderr.Trim()));
        Assert.Equal((1, "agentcrm: invalid configuration: Actors:IdleTimeout: 'abc' is not valid; it takes a time span such as 00:00:30 (hh:mm:ss)."), (idle.ExitCode, idle.Stderr.Trim()));
    }

    [Fact]
    public async Task Serve_ABadListenAddress_IsOneLine_WithoutStackTraces()
    {
        var option = await CliRunner.RunAsync(["serve", "--urls", "notaurl", "--data", TempDirectory.Create()]);
        var setting = await CliRunner.RunAsync(["serve", "--data", TempDirectory.Create()], new Dictionary<string, string> { ["ASPNETCORE_URLS"] = "http://127.0.0.1:5999;notaurl" });

        Assert.Equal((2, "agentcrm: --urls: 'notaurl' is not a listen address such as http://127.0.0.1:5080. (see agentcrm serve --help)"), (option.ExitCode, option.Stderr.Trim()));
        Assert.Equal((1, "agentcrm: invalid configuration: urls: 'notaurl' is not a listen address such as http://127.0.0.1:5080."), (setting.ExitCode, setting.Stderr.Trim()));
        Assert.DoesNotContain("   at ", option.Stdout + setting.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agents_RegisterPromoteListUnregister_OnTheDataDirectory()
    {
        var dir = TempDirectory.Create();
        var manifest = await CliTests.NpsWatchManifestAsync(dir);

        var register = await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir, "--json"]);
        Assert.Equal(0, register.ExitCode);
        Assert.Equal("registered", JsonDocument.Parse(register.Stdout).RootElement.GetProperty("state").GetString());

        var refused = await CliRunner.RunAsync(["agents", "promote", "nps-watch@2.0.0", "--data", dir]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("no report", refused.Stderr, StringComparison.OrdinalIgnoreCase);
        var evaluate = await CliRunner.RunAsync(["agents", "evaluate", "nps-watch@2.0.0", "--cases", "telco-churn", "--data", dir, "--json"]);
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        var report = JsonDocument.Parse(evaluate.Stdout).RootElement;
        Assert.Equal(5000, report.GetProperty("cases").GetInt32());
        Assert.True(report.GetProperty("passed").GetBoolean());
        Assert.Equal(0, (await CliRunner.RunAsync(["agents", "promote", "nps-watch@2.0.0", "--data", dir])).ExitCode);
        var list = await CliRunner.RunAsync(["agents", "list", "--data", dir, "--json"]);
        Assert.Equal(0, list.ExitCode);
        var states = JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray()
            .ToDictionary(v => v.GetProperty("id").GetString() + "@" + v.GetProperty("version").GetString(), v => v.GetProperty("state").GetString());
        Assert.Equal("active", states["nps-watch@2.0.0"]);
        Assert.Equal("active", states["renewal-risk@1.0.1"]);

        Assert.Equal(0, (await CliRunner.RunAsync(["agents", "unregister", "nps-watch", "--data", dir])).ExitCode);
        var missing = await CliRunner.RunAsync(["agents", "unregister", "nps-watch-2", "--data", dir]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("agentcrm: No agent 'nps-watch-2' is registered.", missing.Stderr.Trim());
    }

    [Fact]
    public async Task Agents_RegisterBadManifest_ExitsOneNamingTheField()
    {
        var dir = TempDirectory.Create();
        var manifest = Path.Combine(dir, "bad.json");
        await File.WriteAllTextAsync(manifest, """{ "id": "x-y", "version": "1.0.0", "kind": "renewal-risk", "scenario": "s", "subscribes": ["nope"], "purpose": "p" }""");
        var result = await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir]);
        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Contains("subscribes[0]", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Agents_RegisterRulesManifest_BadRuleNamesItsLine_TheExampleRegisters()
    {
        var dir = TempDirectory.Create();
        var example = Path.Combine(Rules.ManifestSchemaTests.RepositoryRoot(), "agents/examples/expansion-opportunity.yaml");
        var bad = Path.Combine(dir, "bad.yaml");
        var text = (await File.ReadAllTextAsync(example)).Replace("events.count30d.email.inquiry >= 2", "events.count30d.email.inquiry >= 2 and tickets.open > 0", StringComparison.Ordinal);
        await File.WriteAllTextAsync(bad, text);
        var line = text[..text.IndexOf("tickets.open > 0", StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        var result = await CliRunner.RunAsync(["agents", "register", bad, "--data", dir]);
        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Contains($"rules.conditions[0].when: line {line}: at character 40: 'tickets.open' is not in reads", result.Stderr, StringComparison.Ordinal);

        var ok = await CliRunner.RunAsync(["agents", "register", example, "--data", dir, "--json"]);
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("rules", JsonDocument.Parse(ok.Stdout).RootElement.GetProperty("kind").GetString());
    }
}
