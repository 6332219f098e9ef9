using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Runtime.Tests.EndToEnd;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// `agentcrm webhooks add` / `remove` / `enable` beside a running server on the same data directory: the server starts delivering to
/// a subscription the CLI added or enabled, signed with the secret the CLI printed, and stops a removed one's loop, without a restart
/// and without an API call. The poll is an hour here, so only the subscriptions' change counter can tell the server.
/// </summary>
public sealed class WebhookCliBesideServerTests
{
    private static readonly Dictionary<string, string?> HourlyPoll = new()
    {
        ["Webhooks:PollInterval"] = "01:00:00",
        ["Webhooks:RetryBaseDelay"] = "00:00:00.050",
        ["Webhooks:RetryMaxDelay"] = "00:00:00.200",
    };

    /// <summary>A failed attempt is retried after ten minutes: only the removal can end its loop within the test.</summary>
    private static readonly Dictionary<string, string?> HourlyPollSlowRetries = new()
    {
        ["Webhooks:PollInterval"] = "01:00:00",
        ["Webhooks:RetryBaseDelay"] = "00:10:00",
        ["Webhooks:RetryMaxDelay"] = "00:10:00",
    };

    private static async Task<(string Id, string Secret)> AddAsync(string data, string url)
    {
        var added = await CliRunner.RunAsync(["webhooks", "add", url, "--data", data, "--json"]);
        Assert.True(added.ExitCode == 0, added.Stderr);
        var created = JsonDocument.Parse(added.Stdout).RootElement;
        return (created.GetProperty("id").GetString()!, created.GetProperty("secret").GetString()!);
    }

    private static async Task RemoveAsync(string data, string id)
    {
        var removed = await CliRunner.RunAsync(["webhooks", "remove", id, "--data", data]);
        Assert.True(removed.ExitCode == 0, removed.Stderr);
    }

    private static async Task<List<string>> DeliveredBriefIdsAsync(AgentCrmApp app, string customerId) =>
        (await app.BriefsAsync($"&customerId={customerId}&status=delivered")).Select(b => b.GetProperty("id").GetString()!).ToList();

    private static async Task<int> FailingAsync(AgentCrmApp app) => (await app.GetJsonAsync("/readyz")).GetProperty("webhooksFailing").GetInt32();

    [Fact]
    public async Task AddedByTheCli_TheRunningServerDeliversSigned_RemovedByTheCli_LaterBriefsDoNotArrive()
    {
        await using var removedOne = await WebhookReceiver.StartAsync();
        await using var keptOne = await WebhookReceiver.StartAsync();
        await using var app = await AgentCrmApp.StartAsync(settings: HourlyPoll);

        var (removed, secret) = await AddAsync(app.DataDirectory, removedOne.Url);
        var (kept, _) = await AddAsync(app.DataDirectory, keptOne.Url);
        await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var acme = await DeliveredBriefIdsAsync(app, "acme");
        Assert.NotEmpty(acme);

        var accepted = await removedOne.WaitForAsync(acme.Count, TimeSpan.FromSeconds(60));
        Assert.Equal(acme.AsEnumerable().Reverse(), accepted.Select(a => a.Json.GetProperty("brief").GetProperty("id").GetString()!));
        Assert.All(accepted, a => Assert.Equal(removed, a.Json.GetProperty("webhookId").GetString()));
        Assert.All(accepted, a => Assert.True(WebhookReceiver.Verifies(a, secret, TimeSpan.FromMinutes(5)), $"delivery {a.DeliveryId} is not signed with the secret the CLI printed"));
        await keptOne.WaitForAsync(acme.Count, TimeSpan.FromSeconds(60));

        await RemoveAsync(app.DataDirectory, removed);
        await app.PostEventsAsync(Timelines.AtRisk("globex", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var globex = await DeliveredBriefIdsAsync(app, "globex");
        Assert.NotEmpty(globex);

        // The kept subscription got globex's briefs, woken by the same signal: the removed one got none of them.
        var keptGot = await keptOne.WaitForAsync(acme.Count + globex.Count, TimeSpan.FromSeconds(60));
        Assert.All(keptGot, a => Assert.Equal(kept, a.Json.GetProperty("webhookId").GetString()));
        Assert.Equal(acme.Count, removedOne.Attempts.Count);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync($"/v1/webhooks/{removed}")).StatusCode);
    }

    [Fact]
    public async Task RemovedByTheCli_AFailingSubscriptionsLoopEnds_OnTheRunningServer()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Down = true;
        await using var app = await AgentCrmApp.StartAsync(settings: HourlyPollSlowRetries);
        var (id, _) = await AddAsync(app.DataDirectory, receiver.Url);
        await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        await WaitUntilAsync(async () => await FailingAsync(app) == 1, "the CLI's subscription to fail its first attempt on the running server");

        await RemoveAsync(app.DataDirectory, id);

        // Its loop, waiting ten minutes to retry, is stopped: readiness no longer counts it.
        await WaitUntilAsync(async () => await FailingAsync(app) == 0, "the server to stop the loop of the subscription the CLI removed");
        Assert.Single(receiver.Attempts);
    }

    [Fact]
    public async Task EnabledByTheCli_ADisabledSubscription_TheRunningServerSendsItsBacklogInOrder_AuditedAsTheCliUser()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Down = true;
        var clock = new WebhookDisableTests.ShiftedClock();
        await using var app = await WebhookDisableTests.StartAsync(TempDirectory.Create(), clock, HourlyPoll);
        var (id, _) = await AddAsync(app.DataDirectory, receiver.Url);
        var delivered = await WebhookDisableTests.DeliveredBriefsAsync(app);
        await WaitUntilAsync(async () => await FailingAsync(app) == 1, "the CLI's subscription to fail on the running server");
        clock.Shift = TimeSpan.FromDays(3) + TimeSpan.FromMinutes(1);
        await WebhookDisableTests.StateAsync(app, id, s => s.GetProperty("status").GetString() == "disabled", "disabled");
        var listed = await CliRunner.RunAsync(["webhooks", "list", "--data", app.DataDirectory]);
        Assert.Matches(@" +\d+ failed in a row +disabled since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +last error: HTTP 503$",
            Assert.Single(listed.Stdout.Split('\n'), l => l.StartsWith(id, StringComparison.Ordinal)));

        receiver.Down = false;
        // Read while it is disabled: once enabled, the running server sends at once and moves the cursor on.
        var cursor = (await app.GetJsonAsync($"/v1/webhooks/{id}")).GetProperty("cursor").GetInt64();
        var enabled = await CliRunner.RunAsync(["webhooks", "enable", id, "--data", app.DataDirectory]);

        Assert.True(enabled.ExitCode == 0, enabled.Stderr);
        Assert.Equal($"enabled {id}: it resumes after sequence {cursor} ({delivered.Count} changes to send)", enabled.Stdout.Trim());
        // The poll is an hour: only the change counter the enable moved can tell the running server.
        var accepted = await receiver.WaitForAsync(delivered.Count, TimeSpan.FromSeconds(60));
        Assert.Equal(delivered, accepted.Select(a => a.Json.GetProperty("brief").GetProperty("id").GetString()!));
        Assert.Equal(0, receiver.Redelivered);

        var again = await CliRunner.RunAsync(["webhooks", "enable", id, "--data", app.DataDirectory, "--json"]);
        var unknown = await CliRunner.RunAsync(["webhooks", "enable", "wh_nosuchhook", "--data", app.DataDirectory]);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal("active", JsonDocument.Parse(again.Stdout).RootElement.GetProperty("status").GetString());
        Assert.Equal((1, "agentcrm: no webhook 'wh_nosuchhook' (webhooks list shows them)"), (unknown.ExitCode, unknown.Stderr.Trim()));
        var actions = (await app.GetJsonAsync($"/v1/audit?subject=webhook:{id}")).GetProperty("items").EnumerateArray()
            .Select(r => (r.GetProperty("action").GetString(), r.GetProperty("actor").GetString())).ToList();
        var cli = $"cli:{Environment.UserName}";
        Assert.Equal([("webhook.enabled", cli), ("webhook.disabled", "system:auto-disable"), ("webhook.created", cli)], actions);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Expected {what} within 60 s.");
            await Task.Delay(50);
        }
    }
}
