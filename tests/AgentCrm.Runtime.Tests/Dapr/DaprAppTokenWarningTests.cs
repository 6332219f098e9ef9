using AgentCrm.Runtime.Tests.Server;

namespace AgentCrm.Runtime.Tests.Dapr;

/// <summary>Under the Dapr host without APP_API_TOKEN, the start says the Dapr routes trust this machine's loopback.</summary>
public sealed class DaprAppTokenWarningTests
{
    [Theory]
    [InlineData(null, true)]
    [InlineData("app-secret", false)]
    public async Task Start_UnderDapr_WarnsOnlyWithoutTheAppToken(string? appToken, bool warns)
    {
        var dir = TempDirectory.Create();
        var environment = new Dictionary<string, string>
        {
            ["Runtime__Host"] = "Dapr",
            // No daprd: the server listens and waits for it in the background.
            ["Dapr__HttpEndpoint"] = $"http://127.0.0.1:{ServeProcess.FreePort()}",
            ["Knowledge__IngestBundled"] = "false",
        };
        if (appToken is not null)
            environment["APP_API_TOKEN"] = appToken;
        using var server = ServeProcess.Start(dir, environment);
        await server.WaitForOutputAsync("Now listening on");
        server.Signal(15);
        await server.WaitForExitAsync();

        Assert.True(server.Stdout.Contains("APP_API_TOKEN (Dapr:AppApiToken) is not set", StringComparison.Ordinal) == warns, server.Stdout);
    }
}
