using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Access;
using AgentCrm.Runtime.Tests.Cli;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// qa37a #1: a CSM who reconnects with a <c>Last-Event-ID</c> from before an account became theirs is sent what a stream
/// that stayed connected was sent: of that account, only the briefs written after it was given (by <c>PUT</c>, by the CLI,
/// or given back after it was taken away), never those written before, which were another CSM's or nobody's. The reconnect
/// sent them all: it read without the <c>given_at</c> rule the live stream and its read-again follow.
/// </summary>
public sealed class CsmStreamReconnectGivenTests
{
    [Fact]
    public async Task Stream_ReconnectFromBeforeAnAccountWasGiven_SendsOnlyItsBriefsFromAfterTheGive_AsTheLiveStreamDid()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await EveryNpsBriefs.PromoteAsync(app);
        await AssignAsync(app, "csm-ann", ["acme"]);
        await AssignAsync(app, "csm-ben", ["ben-only", "back"]);
        using var benClient = await app.ClientAsync(Roles.Csm, "csm-ben");
        await using var live = await StreamEvents.OpenAsync(benClient);
        string lastId;
        await using (var first = await StreamEvents.OpenAsync(benClient))
        {
            var before = await BriefAsync(app, "ben-only");
            lastId = (await first.ThroughAsync(before)).EventId!;
            Assert.Equal(before, Id(await live.NextAsync("brief", "ben's own brief before the gives")));
        }

        // While the client is away: acme (ann's) is given by PUT, cli-acct by the CLI beside the server, and back is taken
        // away and given back; each has briefs from before its give and one from after.
        await BriefAsync(app, "acme");
        await BriefAsync(app, "acme");
        await AssignAsync(app, "csm-ben", ["ben-only", "back", "acme"]);
        var acmeAfter = await BriefAsync(app, "acme");
        await BriefAsync(app, "cli-acct");
        var set = await CliRunner.RunAsync(["csms", "accounts", "set", "csm-ben", "ben-only", "back", "acme", "cli-acct", "--data", app.DataDirectory]);
        Assert.True(set.ExitCode == 0, set.Stderr);
        var cliAfter = await BriefAsync(app, "cli-acct");
        await AssignAsync(app, "csm-ben", ["ben-only", "acme", "cli-acct"]);
        await BriefAsync(app, "back");
        await AssignAsync(app, "csm-ben", ["ben-only", "acme", "cli-acct", "back"]);
        var backAfter = await BriefAsync(app, "back");
        var last = await BriefAsync(app, "ben-only");
        List<string> expected = [acmeAfter, cliAfter, backAfter, last];

        var stayed = await ThroughAsync(live, last);
        await using var again = await StreamEvents.OpenAsync(benClient, lastId);
        var replayed = await ThroughAsync(again, last);

        Assert.Equal(expected, stayed);
        Assert.Equal(expected, replayed);
    }

    private static string Id(StreamEvent e) => e.Data.GetProperty("id").GetString()!;

    /// <summary>The ids of the briefs the stream sends up to and including <paramref name="id"/>.</summary>
    private static async Task<List<string>> ThroughAsync(StreamEvents stream, string id)
    {
        var ids = new List<string>();
        while (ids.Count == 0 || ids[^1] != id)
            ids.Add(Id(await stream.NextAsync("brief", $"briefs through {id} (so far {string.Join(", ", ids)})")));
        return ids;
    }

    /// <summary>An NPS event of the customer's and the brief it made (the every-nps agent delivers one per event).</summary>
    private static Task<string> BriefAsync(AgentCrmApp app, string customer) => EveryNpsBriefs.OneAsync(app, customer);

    private static async Task AssignAsync(AgentCrmApp app, string csm, IReadOnlyList<string> accounts)
    {
        using var assigned = await app.Client.PutAsync($"/v1/csms/{csm}/accounts",
            new StringContent(JsonSerializer.Serialize(new { accounts }), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
    }
}
