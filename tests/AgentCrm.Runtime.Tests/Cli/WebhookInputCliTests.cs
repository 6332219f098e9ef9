using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>`agentcrm webhooks add` holds a subscription to POST /v1/webhooks's input rules, on the data directory without a server.</summary>
public sealed class WebhookInputCliTests
{
    private static Task<CliResult> AddAsync(string data, params string[] args) => CliRunner.RunAsync(["webhooks", "add", .. args, "--data", data]);

    private static async Task<List<JsonElement>> ListAsync(string data)
    {
        var list = await CliRunner.RunAsync(["webhooks", "list", "--json", "--data", data]);
        Assert.True(list.ExitCode == 0, list.Stderr);
        return [.. JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray()];
    }

    [Fact]
    public async Task Add_PortZero_IsAUsageError()
    {
        var data = TempDirectory.Create();
        var result = await AddAsync(data, "https://example.com:0/x");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("agentcrm: URL must name a port from 1 to 65535", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(await ListAsync(data));
    }
}
