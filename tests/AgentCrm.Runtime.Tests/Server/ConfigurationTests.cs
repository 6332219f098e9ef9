using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentCrm.Runtime.Tests.Cli;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// One configuration for the server and the CLI verbs (appsettings.json beside the binary, appsettings.{environment}.json,
/// environment variables, --data when given), strict values, and one line naming the key when a setting is refused.
/// </summary>
public sealed class ConfigurationTests
{
    [Fact]
    public async Task ACliVerb_UsesStorageDataDirectoryFromTheEnvironment_NotDataInTheWorkingDirectory()
    {
        var dir = TempDirectory.Create();
        var workingDirectory = TempDirectory.Create();
        var created = await RunInAsync(workingDirectory, ["keys", "create", "--role", "integrator", "--name", "feed"], new() { ["Storage__DataDirectory"] = dir });
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.True(File.Exists(Path.Combine(dir, "agentcrm.db")), "no agentcrm.db in Storage:DataDirectory");
        Assert.False(Directory.Exists(Path.Combine(workingDirectory, "data")), "the verb wrote ./data in the working directory");
        var key = created.Stdout.Split('\n', StringSplitOptions.TrimEntries).First(l => l.StartsWith("acrm_", StringComparison.Ordinal));

        // The server over the same directory knows the key.
        using var server = ServeProcess.Start(dir, new() { ["Knowledge__IngestBundled"] = "false" });
        await server.WaitForReadyAsync();
        using var client = new HttpClient { BaseAddress = server.Address };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        using var response = await client.GetAsync("/v1/dead-letters");
        Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task ACliVerb_ReadsTheAppsettingsBesideTheBinary()
    {
        var dir = TempDirectory.Create();
        var workingDirectory = TempDirectory.Create();
        using var settings = EnvironmentSettings.Write(JsonSerializer.Serialize(new { Storage = new { DataDirectory = dir } }));
        var created = await RunInAsync(workingDirectory, ["keys", "create", "--role", "admin", "--name", "a"], new() { ["ASPNETCORE_ENVIRONMENT"] = settings.Environment });
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.True(File.Exists(Path.Combine(dir, "agentcrm.db")), "no agentcrm.db in the appsettings' Storage:DataDirectory");
        Assert.False(Directory.Exists(Path.Combine(workingDirectory, "data")));
    }

    [Fact]
    public async Task ASigningKeyGivenAsOneValueInsteadOfAList_IsRefusedNamingTheKey_WithoutShowingTheSecret()
    {
        // Auth__Jwt__SymmetricKeys=<key> instead of Auth__Jwt__SymmetricKeys__0=<key>: the refusal goes to stderr, i.e. the log.
        const string secret = "c2VjcmV0LXNpZ25pbmcta2V5LW9mLXRoaXJ0eS10d28tYnl0ZXMh";
        var environment = new Dictionary<string, string>
        {
            ["Storage__DataDirectory"] = TempDirectory.Create(),
            ["Auth__Jwt__Issuer"] = "issuer",
            ["Auth__Jwt__Audience"] = "audience",
            ["Auth__Jwt__SymmetricKeys"] = secret,
        };
        foreach (var args in new[] { new[] { "serve", "--urls", $"http://127.0.0.1:{ServeProcess.FreePort()}" }, ["keys", "list"] })
        {
            var result = await CliRunner.RunAsync(args, environment);
            var line = DataDirectoryStartTests.OneLineFailure(result);
            Assert.Contains("agentcrm: invalid configuration: Auth:Jwt:SymmetricKeys: a value (not shown: a secret) is not valid; it takes a list", line, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, result.Stdout + result.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AJwtClockSkewOutOfRange_IsRefusedAtStart_NotA500OnEveryRequest()
    {
        // IdentityModel throws on a negative ClockSkew when the validator is first built: the server started, then every
        // request, with an API key or none, answered 500.
        var environment = new Dictionary<string, string>
        {
            ["Storage__DataDirectory"] = TempDirectory.Create(),
            ["Auth__Jwt__Issuer"] = "issuer",
            ["Auth__Jwt__Audience"] = "audience",
            ["Auth__Jwt__SymmetricKeys__0"] = "c2VjcmV0LXNpZ25pbmcta2V5LW9mLXRoaXJ0eS10d28tYnl0ZXMh",
            ["Auth__Jwt__ClockSkewSeconds"] = "-5",
        };
        var result = await CliRunner.RunAsync(["serve", "--urls", $"http://127.0.0.1:{ServeProcess.FreePort()}"], environment, TimeSpan.FromSeconds(30));
        Assert.Equal("agentcrm: invalid configuration: Auth:Jwt:ClockSkewSeconds must be between 0 and 3600 (got '-5').", DataDirectoryStartTests.OneLineFailure(result));
    }

    [Theory]
    [InlineData("Storage__Synchronous", "2", "Storage:Synchronous: '2' is not valid; it takes one of Normal, Full.")]
    [InlineData("Runtime__Host", "1", "Runtime:Host: '1' is not valid; it takes one of Embedded, Dapr.")]
    [InlineData("Runtime__LogFormat", "1", "Runtime:LogFormat: '1' is not valid; it takes one of Text, Json.")]
    [InlineData("Knowledge__Provider", "Normal, Full", "Knowledge:Provider: 'Normal, Full' is not valid; it takes one of Embedded, Qdrant.")]
    [InlineData("Actors__ReminderPollInterval", "100.00:00:00", "Actors:ReminderPollInterval: '100.00:00:00' is too long; it takes at most 00:01:00.")]
    [InlineData("Actors__ScanInterval", "60.00:00:00", "Actors:ScanInterval: '60.00:00:00' is too long; it takes at most 01:00:00.")]
    [InlineData("Actors__DrainTimeout", "10000.00:00:00", "Actors:DrainTimeout: '10000.00:00:00' is too long; it takes at most 01:00:00.")]
    [InlineData("Intake__MaxFutureSkew", "10675199.00:00:00", "Intake:MaxFutureSkew: '10675199.00:00:00' is too long; it takes at most 7.00:00:00.")]
    [InlineData("Intake__MaxEventPerRequest", "5", "Intake:MaxEventPerRequest: not a setting; did you mean Intake:MaxEventsPerRequest?")]
    [InlineData("Runtime__Hots", "Dapr", "Runtime:Hots: not a setting; did you mean Runtime:Host?")]
    [InlineData("Sandbox__MaxCaseSetByte", "1000", "Sandbox:MaxCaseSetByte: not a setting; did you mean Sandbox:MaxCaseSetBytes?")]
    [InlineData("Auth__Jwt__Enabled", "true", "Auth:Jwt:Enabled: not a setting; Auth:Jwt has Auth:Jwt:Issuer,")]
    [InlineData("Storage__DataDirectory", "", "Storage:DataDirectory (--data): an empty value is not valid; it takes a folder path (leave --data and the setting out for the default).")]
    // Past a whole number's type: the setting's own range, not -2147483648 to 2147483647 (qa45d F4); the type's limit where
    // it has none on that side (Auth:Burst must be at least 1).
    [InlineData("Intake__MaxEventsPerRequest", "99999999999", "Intake:MaxEventsPerRequest must be between 1 and 1000000 (got '99999999999').")]
    [InlineData("Webhooks__MaxSubscriptions", "99999999999", "Webhooks:MaxSubscriptions must be between 1 and 1000 (got '99999999999').")]
    [InlineData("Auth__Burst", "-99999999999", "Auth:Burst must be at least 1 (got '-99999999999').")]
    [InlineData("Auth__Burst", "99999999999", "Auth:Burst: '99999999999' is out of range; it takes at most 2147483647.")]
    [InlineData("Intake__Earliest", "01/02/2020", "Intake:Earliest: '01/02/2020' is not valid; it takes a date such as 2020-01-01 or 2020-01-01T00:00:00Z (UTC unless an offset is given).")]
    [InlineData("Intake__Earliest", "2999-01-01", "Intake:Earliest must not be later than now (got '2999-01-01')")]
    public async Task ABadSetting_IsRefusedByTheServerAndByACliVerb_InOneLineNamingTheKey(string key, string value, string expected)
    {
        var environment = new Dictionary<string, string> { [key] = value };
        if (key != "Storage__DataDirectory")
            environment["Storage__DataDirectory"] = TempDirectory.Create();
        var serve = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["serve", "--urls", $"http://127.0.0.1:{ServeProcess.FreePort()}"], environment));
        Assert.Contains("agentcrm: invalid configuration: " + expected, serve, StringComparison.Ordinal);
        if (key is "Intake__Earliest" && value == "2999-01-01")
            return; // Intake is the server's: the CLI verbs do not bind it (its values are still checked for form).
        var verb = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["keys", "list"], environment));
        Assert.Contains("agentcrm: invalid configuration: " + expected, verb, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"Intake": 5}""", "Intake: '5' is not valid; it takes a section of settings (Intake:MaxEventsPerRequest,")]
    [InlineData("""{"Intake": {"MaxEventsPerRequest": [1, 2]}}""", "Intake:MaxEventsPerRequest: a list is not valid here; it takes a whole number.")]
    [InlineData("""{"Intake": [1]}""", "Intake: a list is not valid here; it takes a section of settings")]
    [InlineData("""{"Intake": {"MaxEventsPerRequest": 5}""", "appsettings.")]
    [InlineData("", "The input does not contain any JSON tokens")]
    [InlineData("""{"Intake": {"MaxEventsPerRequest": 5, "MaxEventsPerRequest": 6}}""", "A duplicate key 'Intake:MaxEventsPerRequest' was found (line 1, position 39).")]
    [InlineData("{\n  \"Intake\": {\n    \"MaxBodyBytes\": 1,\n    // the same key, in other letters\n    \"maxbodybytes\": 2,\n  }\n}\n", "A duplicate key 'Intake:maxbodybytes' was found (line 5, position 5).")]
    public async Task ABadAppsettingsFile_IsRefusedInOneLineWithTheReason(string json, string expected)
    {
        using var settings = EnvironmentSettings.Write(json);
        var environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = settings.Environment, ["Storage__DataDirectory"] = TempDirectory.Create() };
        foreach (var args in new[] { new[] { "serve", "--urls", $"http://127.0.0.1:{ServeProcess.FreePort()}" }, ["keys", "list"] })
        {
            var line = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(args, environment));
            Assert.Contains(expected, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AJsonFileThatIsNotJson_IsToldWithItsLineAndPosition()
    {
        using var settings = EnvironmentSettings.Write("{\n  \"Intake\": {\n    \"MaxEventsPerRequest\": 5 6\n  }\n}\n");
        var line = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["keys", "list"], new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = settings.Environment, ["Storage__DataDirectory"] = TempDirectory.Create() }));
        Assert.Matches($@"invalid configuration: .*appsettings\.{settings.Environment}\.json: .*\(line 3, position \d+\)\.$", line);
    }

    [Fact]
    public async Task AStorageProblem_IsToldOnce()
    {
        var line = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["serve", "--data", TempDirectory.Create(), "--urls", $"http://127.0.0.1:{ServeProcess.FreePort()}"],
            new Dictionary<string, string> { ["Storage__MaxBatch"] = "0" }));
        Assert.Equal("agentcrm: invalid configuration: Storage:MaxBatch must be between 1 and 100000 (got '0').", line);
    }

    [Fact]
    public async Task IntakeEarliestWithoutAnOffset_IsUtc_WhateverTheServersTimeZone()
    {
        var dir = TempDirectory.Create();
        var created = await CliRunner.RunAsync(["keys", "create", "--role", "integrator", "--name", "feed", "--data", dir]);
        Assert.True(created.ExitCode == 0, created.Stderr);
        var key = created.Stdout.Split('\n', StringSplitOptions.TrimEntries).First(l => l.StartsWith("acrm_", StringComparison.Ordinal));
        // UTC+14: read in local time, 2020-01-01 would be 2019-12-31T10:00:00Z and the first event accepted.
        using var server = ServeProcess.Start(dir, new() { ["Knowledge__IngestBundled"] = "false", ["TZ"] = "Pacific/Kiritimati", ["Intake__Earliest"] = "2020-01-01" });
        await server.WaitForReadyAsync();
        using var client = new HttpClient { BaseAddress = server.Address };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        async Task<HttpStatusCode> Post(string occurredAt)
        {
            var body = $$"""[{"id":"e-{{Guid.NewGuid():N}}","customerId":"c-1","type":"login","occurredAt":"{{occurredAt}}"}]""";
            using var response = await client.PostAsync("/v1/events", new StringContent(body, Encoding.UTF8, "application/json"));
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.BadRequest, await Post("2019-12-31T20:00:00Z"));
        Assert.Equal(HttpStatusCode.Accepted, await Post("2020-01-01T00:00:00Z"));
    }

    [Fact]
    public void TheFutureSkewCheck_DoesNotOverflow_ForTheLargestSkew()
    {
        var options = new AgentCrm.Intake.IntakeOptions { MaxFutureSkew = TimeSpan.MaxValue };
        var occurredAt = DateTimeOffset.MaxValue;
        var now = DateTimeOffset.UtcNow;
        // What EventParser compares: the difference, which a DateTimeOffset pair cannot overflow.
        Assert.False(occurredAt - now > options.MaxFutureSkew);
        Assert.Throws<ArgumentOutOfRangeException>(() => now + options.MaxFutureSkew);
    }

    [Theory]
    [InlineData("Text")]
    [InlineData("Json")]
    public async Task LogTimestamps_AreUtcWithTheDate_WhateverTheServersTimeZone(string format)
    {
        using var server = ServeProcess.Start(TempDirectory.Create(), new() { ["Knowledge__IngestBundled"] = "false", ["TZ"] = "Pacific/Kiritimati", ["Runtime__LogFormat"] = format });
        await server.WaitForReadyAsync();
        server.Signal(15);
        Assert.Equal(0, await server.WaitForExitAsync());
        var first = server.Stdout.Split('\n').First(l => l.Length > 0);
        string stamp;
        if (format == "Text")
        {
            var m = Regex.Match(first, @"^\[(?<t>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) INF\] ");
            Assert.True(m.Success, first);
            stamp = m.Groups["t"].Value;
        }
        else
        {
            stamp = JsonDocument.Parse(first).RootElement.GetProperty("Timestamp").GetString()!;
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|\+00:00)$", stamp);
        }
        var at = DateTimeOffset.Parse(stamp, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True((DateTimeOffset.UtcNow - at).Duration() < TimeSpan.FromMinutes(5), $"{stamp} is not the current UTC time");
    }

    private static async Task<CliResult> RunInAsync(string workingDirectory, string[] args, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "agentcrm.dll"));
        foreach (var a in args)
            info.ArgumentList.Add(a);
        foreach (var (k, v) in environment)
            info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>appsettings.{environment}.json beside agentcrm.dll under an environment name of its own (no other test reads it), removed after.</summary>
    private sealed class EnvironmentSettings : IDisposable
    {
        private EnvironmentSettings(string environment) => Environment = environment;

        public string Environment { get; }

        private string FilePath => Path.Combine(AppContext.BaseDirectory, $"appsettings.{Environment}.json");

        public static EnvironmentSettings Write(string json)
        {
            var settings = new EnvironmentSettings("Test" + Guid.NewGuid().ToString("N")[..12]);
            File.WriteAllText(settings.FilePath, json);
            return settings;
        }

        public void Dispose() => File.Delete(FilePath);
    }
}
