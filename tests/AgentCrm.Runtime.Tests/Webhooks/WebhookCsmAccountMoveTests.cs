using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Briefs;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// qa38c #1: a CSM's subscription sends a change of an account that is theirs and was given to them before the change was
/// written, as their stream does, whatever its backlog when the account moves. An account moved while both CSMs' receivers
/// were failing sent the new CSM's webhook the account's older briefs (the old CSM's had been sent them, the new CSM's stream
/// never shows them). The old CSM's pending changes of it are not sent once it is taken (access ends with the assignment).
/// </summary>
public sealed class WebhookCsmAccountMoveTests
{
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Webhooks:RetryBaseDelay"] = "00:00:00.050",
        ["Webhooks:RetryMaxDelay"] = "00:00:00.200",
        ["Webhooks:PollInterval"] = "00:00:00.200",
        ["Webhooks:RequestTimeout"] = "00:00:05",
    };

    /// <summary>What the server does between the move and the receivers coming back.</summary>
    public enum Then
    {
        StaysUp,
        Restarts,
        /// <summary>Restarts on the directory as a build from before the accounts' history left it (filled from the audit log).</summary>
        RestartsUpgraded,
    }

    [Theory]
    [InlineData(Then.StaysUp)]
    [InlineData(Then.Restarts)]
    [InlineData(Then.RestartsUpgraded)]
    public async Task AccountMoved_WhileBothCsmsReceiversFail_TheNewCsmGetsOnlyWhatWasWrittenAfterTheGive_TheOldOneNothingMoreOfIt(Then then)
    {
        await using var carlas = await WebhookReceiver.StartAsync();
        await using var daves = await WebhookReceiver.StartAsync();
        carlas.Down = daves.Down = true;
        var data = TempDirectory.Create();
        AgentCrmApp? app = await AgentCrmApp.StartAsync(data, Fast);
        try
        {
            await EveryNpsBriefs.PromoteAsync(app);
            await AssignAsync(app, "carla", "acme");
            await AssignAsync(app, "dave", "globex");
            var carla = await SubscribeAsync(app, carlas.Url, "carla");
            var dave = await SubscribeAsync(app, daves.Url, "dave");
            var globex = await EveryNpsBriefs.OneAsync(app, "globex");
            var acme1 = await EveryNpsBriefs.OneAsync(app, "acme");
            var acme2 = await EveryNpsBriefs.OneAsync(app, "acme");
            // Each loop holds its first change, with the others read behind it.
            await FailingAsync(app, carla);
            await FailingAsync(app, dave);

            // acme moves from carla to dave: taken by PUT, given by the CLI beside the server. Then a brief of it, and a
            // veto of one carla was sent: both written while acme is dave's.
            await AssignAsync(app, "carla");
            var set = await CliRunner.RunAsync(["csms", "accounts", "set", "dave", "globex", "acme", "--data", data]);
            Assert.True(set.ExitCode == 0, set.Stderr);
            var acme3 = await EveryNpsBriefs.OneAsync(app, "acme");
            using (var reviewer = await app.ClientAsync("reviewer"))
            using (var veto = await reviewer.PostAsync($"/v1/briefs/{acme1}/veto", Variants.Json("""{"reason":"Renewed last week"}""")))
                Assert.Equal(HttpStatusCode.OK, veto.StatusCode);

            if (then != Then.StaysUp)
            {
                await app.DisposeAsync();
                app = null;
                if (then == Then.RestartsUpgraded)
                    DataDb.Execute(data, """
                        DROP TRIGGER IF EXISTS csm_account_given; DROP TRIGGER IF EXISTS csm_account_taken; DROP TABLE IF EXISTS csm_account_spans;
                        DELETE FROM meta WHERE key = 'csm_account_spans.filled';
                        """);
                app = await AgentCrmApp.StartAsync(data, Fast);
            }
            carlas.Down = daves.Down = false;
            await CaughtUpAsync(app, carla);
            await CaughtUpAsync(app, dave);

            Assert.Multiple(
                () => Assert.Equal("", Sent(carlas)),
                () => Assert.Equal($"brief.delivered {globex}, brief.delivered {acme3}, brief.retracted {acme1}", Sent(daves)));
            Assert.Equal((0, 0), (carlas.Redelivered, daves.Redelivered));
        }
        finally
        {
            if (app is not null)
                await app.DisposeAsync();
        }
    }

    /// <summary>
    /// A build from before 2026-12-06 beside this one (a CLI binary) set a CSM's accounts by deleting their rows and inserting
    /// the whole list again, with no audit record in between: the account the CSM kept stays theirs since it was given, so a
    /// change of it still waiting for a failing receiver is sent (review rev38 #1: its span was closed and a new one opened at
    /// the head, and the change was passed over).
    /// </summary>
    [Fact]
    public async Task AccountsWrittenAgainByAnOlderBuild_TheAccountKept_StillSendsItsPendingChanges()
    {
        await using var carlas = await WebhookReceiver.StartAsync();
        carlas.Down = true;
        var data = TempDirectory.Create();
        string carla, acme1;
        await using (var app = await AgentCrmApp.StartAsync(data, Fast))
        {
            await EveryNpsBriefs.PromoteAsync(app);
            await AssignAsync(app, "carla", "acme");
            carla = await SubscribeAsync(app, carlas.Url, "carla");
            acme1 = await EveryNpsBriefs.OneAsync(app, "acme");
            await FailingAsync(app, carla);
        }
        DataDb.Execute(data, """
            DELETE FROM csm_accounts WHERE csm_id = 'carla';
            INSERT INTO csm_accounts (csm_id, customer_id, given_at) VALUES ('carla', 'acme', 0), ('carla', 'globex', 0);
            """);
        await using (var app = await AgentCrmApp.StartAsync(data, Fast))
        {
            carlas.Down = false;
            await CaughtUpAsync(app, carla);
            Assert.Equal($"brief.delivered {acme1}", Sent(carlas));
        }
    }

    /// <summary>The accepted deliveries' event and brief, in the order they arrived; their sequences in the audit's order.</summary>
    private static string Sent(WebhookReceiver receiver)
    {
        var accepted = receiver.Accepted.ToList();
        var sequences = accepted.Select(a => a.Json.GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal(sequences.Order().ToList(), sequences);
        return string.Join(", ", accepted.Select(a => $"{a.Event} {a.Json.GetProperty("brief").GetProperty("id").GetString()}"));
    }

    private static async Task AssignAsync(AgentCrmApp app, string csm, params string[] accounts)
    {
        using var put = await app.Client.PutAsync($"/v1/csms/{csm}/accounts", Variants.Json(JsonSerializer.Serialize(new { accounts })));
        Assert.True(put.StatusCode == HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
    }

    private static async Task<string> SubscribeAsync(AgentCrmApp app, string url, string csm)
    {
        using var response = await app.Client.PostAsync("/v1/webhooks", Variants.Json(JsonSerializer.Serialize(new { url, csmId = csm })));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    private static Task FailingAsync(AgentCrmApp app, string id) =>
        StateAsync(app, id, s => s.GetProperty("consecutiveFailures").GetInt32() >= 1, "a failed attempt");

    /// <summary>Nothing left to send and its cursor at the audit log's head: every change so far was sent or passed over.</summary>
    private static Task CaughtUpAsync(AgentCrmApp app, string id) =>
        StateAsync(app, id, s => s.GetProperty("backlog").GetInt64() == 0 && s.GetProperty("behind").GetInt64() == 0, "no backlog and no audit record after its cursor");

    private static async Task StateAsync(AgentCrmApp app, string id, Func<JsonElement, bool> done, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var state = await app.GetJsonAsync($"/v1/webhooks/{id}");
            if (done(state))
                return;
            Assert.True(DateTime.UtcNow < deadline, $"webhook {id}: expected {expected}; {state}");
            await Task.Delay(20);
        }
    }
}
