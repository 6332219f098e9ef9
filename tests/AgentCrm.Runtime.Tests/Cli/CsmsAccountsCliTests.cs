using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// `agentcrm csms accounts set | show | clear` on a data directory: a CSM's accounts without the HTTP API, so `webhooks add
/// --csm` works on a new data directory; the API's rules (a bad CSM id or account is a usage error, nothing opened) and
/// shapes (--json as GET /v1/csms/{csmId}/accounts), audited as the CLI's user.
/// </summary>
public sealed class CsmsAccountsCliTests
{
    private static async Task<CliResult> RunAsync(string data, params string[] args) =>
        await CliRunner.RunAsync([.. args, "--data", data]);

    [Fact]
    public async Task Set_OnANewDataDirectory_LetsWebhooksAddTheCsm_ShowAndJsonAsTheApi_AuditedAsTheCliUser()
    {
        var data = TempDirectory.Create();

        var set = await RunAsync(data, "csms", "accounts", "set", "carla", "acme", "globex", "--json");
        var show = await RunAsync(data, "csms", "accounts", "show", "carla");
        var add = await RunAsync(data, "webhooks", "add", "https://crm.example.com/agentcrm", "--csm", "carla");
        var text = await RunAsync(data, "csms", "accounts", "set", "dana", "initech");

        Assert.True(set.ExitCode == 0, set.Stderr);
        var assigned = JsonDocument.Parse(set.Stdout).RootElement;
        Assert.Equal(["csmId", "accounts"], assigned.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["acme", "globex"], assigned.GetProperty("accounts").EnumerateArray().Select(a => a.GetString()));
        Assert.True(show.ExitCode == 0, show.Stderr);
        Assert.Equal(["acme", "globex"], show.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(add.ExitCode == 0, add.Stderr);
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Equal("CSM dana has 1 account assigned now", text.Stdout.Trim());

        await using var app = await AgentCrmApp.StartAsync(data);
        var api = await app.GetJsonAsync("/v1/csms/carla/accounts");
        Assert.Equal(["acme", "globex"], api.GetProperty("accounts").EnumerateArray().Select(a => a.GetString()));
        var record = (await app.GetJsonAsync("/v1/audit?subject=csm:carla")).GetProperty("items")[0];
        Assert.Equal(("csm.accounts.assigned", $"cli:{Environment.UserName}"), (record.GetProperty("action").GetString(), record.GetProperty("actor").GetString()));
    }

    /// <summary>
    /// CSM ids are case-sensitive: `set Csm024` beside an assigned csm024 silently made a second CSM (qa35b). Refused in one
    /// line with the hint the webhook API gives, nothing changed; `show` of it hints too.
    /// </summary>
    [Fact]
    public async Task Set_OfACsmDifferingOnlyInCaseFromAnAssignedOne_IsRefusedNamingIt_ShowHintsAtIt()
    {
        var data = TempDirectory.Create();
        Assert.Equal(0, (await RunAsync(data, "csms", "accounts", "set", "csm024", "acme")).ExitCode);

        var set = await RunAsync(data, "csms", "accounts", "set", "Csm024", "globex");
        var show = await RunAsync(data, "csms", "accounts", "show", "Csm024");
        var same = await RunAsync(data, "csms", "accounts", "set", "csm024", "acme", "globex");

        Assert.Equal(1, set.ExitCode);
        Assert.Single(set.Stderr.Trim().Split('\n'));
        Assert.Contains("(did you mean csm024?)", set.Stderr, StringComparison.Ordinal);
        Assert.Equal((0, ""), (show.ExitCode, show.Stdout));
        Assert.Contains("did you mean csm024?", show.Stderr, StringComparison.Ordinal);
        Assert.True(same.ExitCode == 0, same.Stderr);
        await using var app = await AgentCrmApp.StartAsync(data);
        Assert.Empty((await app.GetJsonAsync("/v1/csms/Csm024/accounts")).GetProperty("accounts").EnumerateArray());
    }

    [Fact]
    public async Task Clear_LeavesNone_AndSaysWhichSubscriptionsNowSendNothing()
    {
        var data = TempDirectory.Create();
        Assert.Equal(0, (await RunAsync(data, "csms", "accounts", "set", "carla", "acme")).ExitCode);
        var added = await RunAsync(data, "webhooks", "add", "https://crm.example.com/agentcrm", "--csm", "carla", "--json");
        Assert.True(added.ExitCode == 0, added.Stderr);
        var id = JsonDocument.Parse(added.Stdout).RootElement.GetProperty("id").GetString()!;

        var clear = await RunAsync(data, "csms", "accounts", "clear", "carla", "--json");
        var show = await RunAsync(data, "csms", "accounts", "show", "carla");

        Assert.True(clear.ExitCode == 0, clear.Stderr);
        Assert.Empty(JsonDocument.Parse(clear.Stdout).RootElement.GetProperty("accounts").EnumerateArray());
        Assert.Contains($"webhook {id} (--csm carla) sends nothing until accounts are assigned again", clear.Stderr, StringComparison.Ordinal);
        Assert.Equal((0, ""), (show.ExitCode, show.Stdout));
        Assert.Contains("No accounts are assigned to CSM 'carla'", show.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadCsmOrAccount_IsAUsageErrorInOneLine_NothingOpened_WebhooksAddPointsAtTheVerb()
    {
        var data = TempDirectory.Create();

        var badCsm = await RunAsync(data, "csms", "accounts", "set", "no spaces", "acme");
        var badAccount = await RunAsync(data, "csms", "accounts", "set", "carla", "acme", " ");
        var none = await RunAsync(data, "csms", "accounts", "set", "carla");

        Assert.Equal(2, badCsm.ExitCode);
        Assert.StartsWith("agentcrm: CSM: 'no spaces' is not valid; a CSM id is 1-64 characters", badCsm.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badAccount.ExitCode);
        Assert.StartsWith("agentcrm: ACCOUNT: ' ' is not valid; A customer id must not be empty.", badAccount.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, none.ExitCode);
        Assert.All(new[] { badCsm, badAccount, none }, r => Assert.Single(r.Stderr.Trim().Split('\n')));
        Assert.False(File.Exists(Path.Combine(data, "agentcrm.db")));

        var add = await RunAsync(data, "webhooks", "add", "https://crm.example.com/agentcrm", "--csm", "zed");
        Assert.Equal(1, add.ExitCode);
        Assert.Contains("Assign its accounts first (agentcrm csms accounts set zed ACCOUNT…)", add.Stderr, StringComparison.Ordinal);
    }
}
