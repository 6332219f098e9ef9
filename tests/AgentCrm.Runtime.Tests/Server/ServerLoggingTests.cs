using System.Text.Json;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Server;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>The server's log: its levels from configuration, the build named once at start, and trace ids a 5xx answer names.</summary>
public sealed class ServerLoggingTests
{
    [Fact]
    public async Task TheStartUpLog_NamesTheBuildOnce()
    {
        var dir = TempDirectory.Create();
        using var server = ServeProcess.Start(dir, new() { ["Knowledge__IngestBundled"] = "false" });
        await server.WaitForReadyAsync();
        server.Signal(15);
        Assert.Equal(0, await server.WaitForExitAsync());
        var version = typeof(AgentCrmServer).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        var lines = server.Stdout.Split('\n').Where(l => l.Contains($"agentcrm {version} (data format {ServerSchema.FormatVersion})", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, server.Stdout);
        Assert.Contains("[", lines[0]);
        Assert.Contains(" INF] ", lines[0]);
    }

    [Theory]
    [InlineData("Serilog__MinimumLevel")]
    [InlineData("Serilog__MinimumLevel__Default")]
    [InlineData("Logging__LogLevel__Default")]
    public async Task AMinimumLevelOfWarning_WritesNoInformationLines(string key)
    {
        var dir = TempDirectory.Create();
        using var server = ServeProcess.Start(dir, new() { ["Knowledge__IngestBundled"] = "false", [key] = "Warning" });
        await server.WaitForReadyAsync();
        server.Signal(15);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.DoesNotContain(" INF] ", server.Stdout + server.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadLogLevel_IsRefusedNamingTheKey()
    {
        var result = await CliRunner.RunAsync(["serve", "--data", TempDirectory.Create(), "--urls", "http://127.0.0.1:0"], new Dictionary<string, string> { ["Serilog__MinimumLevel"] = "Loud" });
        var line = DataDirectoryStartTests.OneLineFailure(result);
        Assert.Contains("invalid configuration: Serilog:MinimumLevel: 'Loud' is not valid", line);
    }

    [Fact]
    public async Task TheLogLineOfAFailingRequest_CarriesTheTraceIdOfItsProblemDetails()
    {
        var dir = TempDirectory.Create();
        var key = await AdminKeyAsync(dir);
        // An embedding endpoint nothing listens on: a knowledge search fails with a 503 naming a traceId, the cause logged.
        using var server = ServeProcess.Start(dir, new()
        {
            ["Knowledge__IngestBundled"] = "false",
            ["Knowledge__Embeddings__Endpoint"] = $"http://127.0.0.1:{ServeProcess.FreePort()}/v1/embeddings",
            ["Knowledge__Embeddings__MaxRetries"] = "0",
        });
        await server.WaitForReadyAsync();
        using var client = new HttpClient { BaseAddress = server.Address };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        using var response = await client.GetAsync("/v1/knowledge/search?q=renewal");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode >= 500, $"expected a 5xx, got {(int)response.StatusCode}: {body}");
        var traceId = JsonDocument.Parse(body).RootElement.GetProperty("traceId").GetString()!;
        server.Signal(15);
        await server.WaitForExitAsync();
        var logged = server.Stdout.Split('\n').Where(l => l.Contains("traceId=" + traceId, StringComparison.Ordinal)).ToList();
        Assert.True(logged.Any(l => l.Contains(" ERR] ", StringComparison.Ordinal)), $"no error line with traceId={traceId} in:\n{server.Stdout}");
    }

    [Fact]
    public async Task AQdrantThatIsDown_AtTheDefaultLevel_LogsNoLinePerOutgoingRequest()
    {
        var dir = TempDirectory.Create();
        var key = await AdminKeyAsync(dir);
        using var server = ServeProcess.Start(dir, new()
        {
            ["Knowledge__IngestBundled"] = "false",
            ["Knowledge__Provider"] = "Qdrant",
            ["Knowledge__Qdrant__Url"] = $"http://127.0.0.1:{ServeProcess.FreePort()}",
        });
        await server.WaitForReadyAsync();
        using var client = new HttpClient { BaseAddress = server.Address };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync("/v1/knowledge/search?q=renewal");
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }
        server.Signal(15);
        await server.WaitForExitAsync();
        // The failure is logged (throttled) by the server; HttpClient's own lines, one per attempt with a stack trace, are not.
        Assert.Contains("DependencyFailureHandler: GET /v1/knowledge/search: a dependency failed", server.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("] System.Net.Http.HttpClient.", server.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestsWithoutAValidCredential_AtTheDefaultLevel_WriteNoLogLines()
    {
        var dir = TempDirectory.Create();
        using var server = ServeProcess.Start(dir, new() { ["Knowledge__IngestBundled"] = "false" });
        await server.WaitForReadyAsync();
        using var anonymous = new HttpClient { BaseAddress = server.Address };
        using var wrongKey = new HttpClient { BaseAddress = server.Address };
        wrongKey.DefaultRequestHeaders.Add("X-Api-Key", "acrm_not-a-key");
        for (var i = 0; i < 5; i++)
        {
            using var a = await anonymous.GetAsync("/v1/agents");
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, a.StatusCode);
            using var w = await wrongKey.GetAsync("/v1/agents");
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, w.StatusCode);
        }
        server.Signal(15);
        await server.WaitForExitAsync();
        Assert.DoesNotContain("CredentialHandler", server.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("not authenticated", server.Stdout, StringComparison.Ordinal);
    }

    /// <summary>An admin key in <paramref name="dir"/>, created as `agentcrm keys create` would (without ingesting the bundled knowledge).</summary>
    private static async Task<string> AdminKeyAsync(string dir)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new AgentCrm.Storage.StorageOptions { DataDirectory = dir });
        var database = new AgentCrm.Storage.SqliteDatabase(options, [AgentCrmServer.Schema]);
        await using var writer = new AgentCrm.Storage.SqliteWriter(database, options, Microsoft.Extensions.Logging.Abstractions.NullLogger<AgentCrm.Storage.SqliteWriter>.Instance);
        return (await new AgentCrm.Access.ApiKeyStore(database, writer, new AgentCrm.Audit.AuditLog(database), TimeProvider.System).CreateAsync("admin", "admin", "test")).Key;
    }
}
