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

    /// <summary>Assigns <paramref name="accounts"/> to <paramref name="csm"/> in <paramref name="data"/> as ops do, over HTTP (the CLI has no verb for it).</summary>
    internal static async Task AssignAsync(string data, string csm, params string[] accounts)
    {
        await using var app = await AgentCrmApp.StartAsync(data);
        using var put = await app.Client.PutAsync($"/v1/csms/{Uri.EscapeDataString(csm)}/accounts", Reviews.Variants.Json(JsonSerializer.Serialize(new { accounts })));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
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

    [Fact]
    public async Task Add_ACsmWithNoAccounts_FailsInOneLine_SuggestingTheAssignedId()
    {
        var data = TempDirectory.Create();
        await AssignAsync(data, "demo-csm", "acme");

        var refused = await AddAsync(data, "https://example.com/hook", "--csm", "Demo-CSM");
        var added = await AddAsync(data, "https://example.com/hook", "--csm", "demo-csm");

        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("agentcrm: --csm: No accounts are assigned to CSM 'Demo-CSM' (did you mean demo-csm?)", refused.Stderr, StringComparison.Ordinal);
        Assert.Single(refused.Stderr.Trim().Split('\n'));
        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.Equal(["demo-csm"], (await ListAsync(data)).Select(i => i.GetProperty("csmId").GetString()));
    }

    [Fact]
    public async Task Add_TheSameUrlAndFiltersTwice_FailsInOneLine_NamingTheExistingSubscription()
    {
        var data = TempDirectory.Create();
        var first = await AddAsync(data, "https://example.com/hook", "--json");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var id = JsonDocument.Parse(first.Stdout).RootElement.GetProperty("id").GetString()!;

        var again = await AddAsync(data, "https://example.com/hook");

        Assert.Equal(1, again.ExitCode);
        Assert.StartsWith($"agentcrm: webhook {id} already posts to this URL with the same --csm and --agent", again.Stderr, StringComparison.Ordinal);
        Assert.Single(again.Stderr.Trim().Split('\n'));
        Assert.Single(await ListAsync(data));
    }
}
