using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// A CSM whose accounts are all taken away after its subscription was made keeps the subscription (an admin moving accounts
/// is not refused), and the listing says it sends nothing: <c>csmAccounts</c> 0 over HTTP, a marked CSM in `webhooks list`.
/// It looked healthy before (0 failures, 0 backlog) while no brief could reach it.
/// </summary>
public sealed class WebhookCsmWithoutAccountsTests
{
    private static readonly Dictionary<string, string?> Still = new() { ["Webhooks:PollInterval"] = "01:00:00" };

    private static async Task<string> SubscribeAsync(AgentCrmApp app, string json)
    {
        using var response = await app.Client.PostAsync("/v1/webhooks", Variants.Json(json));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task AssignAsync(AgentCrmApp app, string csm, params string[] accounts)
    {
        using var put = await app.Client.PutAsync($"/v1/csms/{csm}/accounts", Variants.Json(JsonSerializer.Serialize(new { accounts })));
        Assert.True(put.StatusCode == HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
    }

    private static async Task<Dictionary<string, JsonElement>> ListedAsync(AgentCrmApp app) =>
        (await app.GetJsonAsync("/v1/webhooks")).GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("id").GetString()!, i => i.GetProperty("csmAccounts"));

    [Fact]
    public async Task AllAccountsTakenAway_TheSubscriptionIsListedWithNoAccounts_OverHttpAndInTheCli()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: Still);
        await AssignAsync(app, "carla", "acme", "globex");
        var carlas = await SubscribeAsync(app, """{"url":"https://crm.example.com/carla","csmId":"carla"}""");
        var everyones = await SubscribeAsync(app, """{"url":"https://crm.example.com/all"}""");
        var before = await ListedAsync(app);

        await AssignAsync(app, "carla");

        var after = await ListedAsync(app);
        var one = await app.GetJsonAsync($"/v1/webhooks/{carlas}");
        var cli = await CliRunner.RunAsync(["webhooks", "list", "--data", app.DataDirectory]);

        Assert.Equal((2, JsonValueKind.Null), (before[carlas].GetInt32(), before[everyones].ValueKind));
        Assert.Equal((0, JsonValueKind.Null), (after[carlas].GetInt32(), after[everyones].ValueKind));
        Assert.Equal(0, one.GetProperty("csmAccounts").GetInt32());
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var lines = cli.Stdout.Split('\n');
        Assert.Contains("csm carla (no accounts assigned: sends nothing)", Assert.Single(lines, l => l.StartsWith(carlas, StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("every csm", Assert.Single(lines, l => l.StartsWith(everyones, StringComparison.Ordinal)), StringComparison.Ordinal);

        // Accounts assigned again: the mark goes.
        await AssignAsync(app, "carla", "acme");
        Assert.Equal(1, (await ListedAsync(app))[carlas].GetInt32());
    }
}
