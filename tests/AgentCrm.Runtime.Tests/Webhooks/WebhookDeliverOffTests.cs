using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Audit;
using AgentCrm.Runtime.Tests.Intake;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// Webhooks:Deliver=false: a copy of the data directory started to check a backup (or a staging server on production data)
/// posts nothing to the subscriptions' receivers, while the subscriptions and their cursors are kept; the same directory
/// started with deliveries on sends every change since the cursor, in order, once.
/// </summary>
public sealed class WebhookDeliverOffTests
{
    [Fact]
    public async Task DeliverFalse_SendsNothing_KeepsTheCursor_AndAServerWithDeliveriesSendsTheBacklogInOrder()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var data = TempDirectory.Create();
        var clock = new WebhookDisableTests.ShiftedClock();
        var logs = new CapturedLogs();
        var (id, delivered) = await SubscribeWithDeliveriesOffAsync(receiver, data, clock, logs);

        await using var app = await WebhookDisableTests.StartAsync(data, clock);
        var accepted = await receiver.WaitForAsync(delivered.Count);
        Assert.Equal(delivered, accepted.Select(a => a.Json.GetProperty("brief").GetProperty("id").GetString()!));
        await WebhookDisableTests.StateAsync(app, id, s => s.GetProperty("backlog").GetInt64() == 0, "caught up");
        Assert.Equal(0, receiver.Redelivered);
    }

    /// <summary>
    /// A brief's audit record whose data is no longer JSON (a damaged page, a hand edit) is a broken chain for
    /// <c>audit verify</c> to name; it must not stall every subscription behind it: SQLite's json_extract raises on malformed
    /// JSON, which failed each poll of the feed at that record for good.
    /// </summary>
    [Fact]
    public async Task Feed_ABriefRecordThatIsNotJson_IsSkipped_AndTheChangesAfterItAreDelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var data = TempDirectory.Create();
        var clock = new WebhookDisableTests.ShiftedClock();
        var (id, delivered) = await SubscribeWithDeliveriesOffAsync(receiver, data, clock, new CapturedLogs());
        AuditTests.Tamper(data, $"UPDATE audit SET data = '{{\"status\":' WHERE action = 'brief.created' AND subject = 'brief:{delivered[0]}'");

        await using var app = await WebhookDisableTests.StartAsync(data, clock);
        var rest = delivered.Skip(1).ToList();
        var accepted = await receiver.WaitForAsync(rest.Count);
        Assert.Equal(rest, accepted.Select(a => a.Json.GetProperty("brief").GetProperty("id").GetString()!));
        var state = await WebhookDisableTests.StateAsync(app, id, s => s.GetProperty("backlog").GetInt64() == 0, "caught up");
        Assert.Equal(rest.Count, state.GetProperty("delivered").GetInt64());
    }

    /// <summary>
    /// A server with Webhooks:Deliver=false: a subscription to <paramref name="receiver"/>, briefs delivered after it, and —
    /// checked — nothing posted, nothing counted delivered, the warning logged. The server is stopped on return.
    /// </summary>
    private static async Task<(string Id, List<string> Delivered)> SubscribeWithDeliveriesOffAsync(WebhookReceiver receiver, string data, WebhookDisableTests.ShiftedClock clock, CapturedLogs logs)
    {
        var off = new Dictionary<string, string?>
        {
            ["Webhooks:RetryBaseDelay"] = "00:00:00.050",
            ["Webhooks:RetryMaxDelay"] = "00:00:00.200",
            ["Webhooks:PollInterval"] = "00:00:00.200",
            ["Webhooks:Deliver"] = "false",
        };
        await using var app = await WebhookDisableTests.StartAsync(data, clock, off, logs);
        using var created = await app.Client.PostAsync("/v1/webhooks", Variants.Json($$"""{"url":"{{receiver.Url}}"}"""));
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
        var delivered = await WebhookDisableTests.DeliveredBriefsAsync(app);
        // With deliveries on, these go out within milliseconds (polls every 200 ms): a second is ample to see none left.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(receiver.Attempts);
        var state = await app.GetJsonAsync($"/v1/webhooks/{id}");
        Assert.Equal(0, state.GetProperty("delivered").GetInt64());
        Assert.Contains(logs.Entries, e => e.Message.Contains("Webhooks:Deliver=false", StringComparison.Ordinal));
        return (id, delivered);
    }
}
