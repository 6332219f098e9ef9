using AgentCrm.Runtime.Tests.Cli;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// Settings the start refuses in one line naming the key and quoting the value (empty claim names, a knowledge directory that
/// is a file, validators' rules), a new data directory that serve says it created, and the start line a quiet log can keep.
/// </summary>
public sealed class StartRefusalTests
{
    /// <summary>serve as a process that is killed if it has not exited within 60 s (a start that is not refused keeps running).</summary>
    private static async Task<CliResult> ServeAsync(string dir, Dictionary<string, string> environment)
    {
        using var server = ServeProcess.Start(dir, new Dictionary<string, string>(environment) { ["Knowledge__IngestBundled"] = "false" });
        var code = await server.WaitForExitAsync();
        return new CliResult(code, server.Stdout, server.Stderr);
    }

    [Theory]
    [InlineData("Auth__Jwt__RoleClaim", "Auth:Jwt:RoleClaim", "role")]
    [InlineData("Auth__Jwt__NameClaim", "Auth:Jwt:NameClaim", "sub")]
    [InlineData("Knowledge__DefaultDocumentLanguage", "Knowledge:DefaultDocumentLanguage", "en")]
    public async Task AnEmptyTextSetting_IsRefusedNamingTheKey(string variable, string key, string defaultValue)
    {
        var line = DataDirectoryStartTests.OneLineFailure(await ServeAsync(TempDirectory.Create(), new() { [variable] = "" }));
        Assert.Equal($"agentcrm: invalid configuration: {key}: an empty value is not valid; it takes a text value (leave the setting out for the default, '{defaultValue}').", line);
    }

    [Fact]
    public async Task AKnowledgeDirectoryThatIsAFile_IsRefusedAsTheDataDirectoryIs_BeforeAnythingIsCreated()
    {
        var file = Path.Combine(TempDirectory.Create(), "f");
        await File.WriteAllTextAsync(file, "x");
        var fresh = Path.Combine(TempDirectory.Create(), "data");
        var line = DataDirectoryStartTests.OneLineFailure(await ServeAsync(fresh, new() { ["Knowledge__DataDirectory"] = file }));
        Assert.Equal($"agentcrm: invalid configuration: Knowledge:DataDirectory: {file} is a file, not a directory; choose a directory, or a path where one can be created "
            + "(leave the setting out to keep the knowledge files in the data directory).", line);
        Assert.False(Directory.Exists(fresh));

        // A data directory in use: told the same, not as a missing catalog.
        var used = TempDirectory.Create();
        Assert.Equal(0, (await CliRunner.RunAsync(["keys", "create", "--role", "csm", "--name", "ann", "--data", used])).ExitCode);
        Assert.Equal(line, DataDirectoryStartTests.OneLineFailure(await ServeAsync(used, new() { ["Knowledge__DataDirectory"] = file })));

        var under = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["keys", "list", "--data", used],
            new Dictionary<string, string> { ["Knowledge__DataDirectory"] = Path.Combine(file, "k") }));
        Assert.Contains($"Knowledge:DataDirectory: cannot create the knowledge directory {Path.Combine(file, "k")}: {file} is a file, not a directory;", under, StringComparison.Ordinal);
        Assert.Equal("x", await File.ReadAllTextAsync(file));
    }

    [Theory]
    [InlineData("Auth__RequestsPerSecond", "0", "Auth:RequestsPerSecond must be at least 1 (got '0').")]
    [InlineData("Auth__Burst", "0", "Auth:Burst must be at least 1 (got '0').")]
    [InlineData("Intake__MaxFutureSkew", "-00:01:00", "Intake:MaxFutureSkew must not be negative (got '-00:01:00').")]
    [InlineData("Knowledge__Embeddings__MaxRetries", "-1", "Knowledge:Embeddings:MaxRetries must be between 0 and 10 (got '-1').")]
    [InlineData("Models__Chat__MaxRetries", "-1", "Models:Chat:MaxRetries must be between 0 and 10 (got '-1').")]
    [InlineData("Models__Chat__Timeout", "00:00:00", "Models:Chat:Timeout must be more than 00:00:00 and at most 00:05:00 (got '00:00:00').")]
    public async Task AValueAValidatorRefuses_IsQuotedInItsLine(string variable, string value, string expected)
    {
        var line = DataDirectoryStartTests.OneLineFailure(await ServeAsync(TempDirectory.Create(), new() { [variable] = value }));
        Assert.Equal("agentcrm: invalid configuration: " + expected, line);
    }

    [Fact]
    public async Task AFailureThatShowsItsValueUnquoted_QuotesItAsConfigured()
    {
        // The validator shows the value as the options hold it (0): quoted as configured, as every other line quotes it, not twice.
        var line = DataDirectoryStartTests.OneLineFailure(await ServeAsync(TempDirectory.Create(), new() { ["Storage__MaxBatch"] = "0" }));
        Assert.Equal("agentcrm: invalid configuration: Storage:MaxBatch must be between 1 and 100000 (got '0').", line);
    }

    [Theory]
    [InlineData("Intake__MaxEventsPerRequest", "0", "Intake:MaxEventsPerRequest must be between 1 and 1000000 (got '0').")]
    [InlineData("Reviews__MaxVetoRate", "2", "Reviews:MaxVetoRate must be between 0 and 1 (got '2').")]
    [InlineData("Storage__MaxWalBytes", "-1", "Storage:MaxWalBytes must be between 1048576 (1 MiB) and 68719476736 (64 GiB) (got '-1').")]
    [InlineData("Actors__MaxActivations", "0", "Actors:MaxActivations must be at least 1 (got '0', default 50000).")]
    [InlineData("Dapr__HttpEndpoint", "ftp://x", "Dapr:HttpEndpoint must be an absolute http(s) URL of daprd's HTTP API (got 'ftp://x'; or set DAPR_HTTP_PORT).")]
    public async Task EveryValidatorsLine_QuotesTheValueAlike(string variable, string value, string expected)
    {
        var environment = new Dictionary<string, string> { [variable] = value };
        if (variable.StartsWith("Dapr__", StringComparison.Ordinal))
            environment["Runtime__Host"] = "Dapr";
        var line = DataDirectoryStartTests.OneLineFailure(await ServeAsync(TempDirectory.Create(), environment));
        Assert.Equal("agentcrm: invalid configuration: " + expected, line);
    }

    [Fact]
    public async Task Serve_OnADirectoryThatIsNotThere_SaysItCreatedOne()
    {
        var dir = Path.Combine(TempDirectory.Create(), "mistyped", "data");
        using var server = ServeProcess.Start(dir, new() { ["Knowledge__IngestBundled"] = "false" });
        await server.WaitForReadyAsync();
        server.Signal(15);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains($"agentcrm: created a new data directory at {dir} (there was none)", server.Stderr, StringComparison.Ordinal);

        // Its second start is on a directory that holds a database: nothing said.
        using var again = ServeProcess.Start(dir, new() { ["Knowledge__IngestBundled"] = "false" });
        await again.WaitForReadyAsync();
        again.Signal(15);
        Assert.Equal(0, await again.WaitForExitAsync());
        Assert.DoesNotContain("new data directory", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWarningLog_KeepsTheStartLine_WithItsOwnOverride()
    {
        using var server = ServeProcess.Start(TempDirectory.Create(), new()
        {
            ["Knowledge__IngestBundled"] = "false",
            ["Serilog__MinimumLevel"] = "Warning",
            ["Serilog__MinimumLevel__Override__AgentCrm.Server.Start"] = "Information",
        });
        await server.WaitForReadyAsync();
        server.Signal(15);
        Assert.Equal(0, await server.WaitForExitAsync());
        var information = server.Stdout.Split('\n').Where(l => l.Contains(" INF] ", StringComparison.Ordinal)).ToList();
        Assert.True(information.Count == 1, server.Stdout);
        Assert.Contains("] AgentCrm.Server.Start: agentcrm ", information[0], StringComparison.Ordinal);
    }
}
