using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Audit;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// A brief's audit record whose data is no longer JSON (a damaged page, a hand edit) is a broken chain for
/// <c>audit verify</c> to name; it must not stall every subscription behind it: SQLite's json_extract raises on malformed
/// JSON, which failed each poll of the feed at that record for good.
/// </summary>
public sealed class WebhookCorruptRecordTests
{
    [Fact]
    public async Task Feed_ABriefRecordThatIsNotJson_IsSkipped_AndTheChangesAfterItAreDelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var data = TempDirectory.Create();
        var clock = new WebhookDisableTests.ShiftedClock();
        var settings = new Dictionary<string, string?>
        {
            ["Webhooks:RetryBaseDelay"] = "00:00:00.050",
            ["Webhooks:RetryMaxDelay"] = "00:00:00.200",
            ["Webhooks:PollInterval"] = "00:00:00.200",
            ["Webhooks:Deliver"] = "false",
        };
        string id;
        List<string> delivered;
        await using (var app = await WebhookDisableTests.StartAsync(data, clock, settings))
        {
            using var created = await app.Client.PostAsync("/v1/webhooks", Variants.Json($$"""{"url":"{{receiver.Url}}"}"""));
            var text = await created.Content.ReadAsStringAsync();
            Assert.True(created.StatusCode == HttpStatusCode.Created, text);
            id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
            delivered = await WebhookDisableTests.DeliveredBriefsAsync(app);
        }

        var damaged = delivered[0];
        AuditTests.Tamper(data, $"UPDATE audit SET data = '{{\"status\":' WHERE action = 'brief.created' AND subject = 'brief:{damaged}'");

        await using (var app = await WebhookDisableTests.StartAsync(data, clock))
        {
            var rest = delivered.Skip(1).ToList();
            var accepted = await receiver.WaitForAsync(rest.Count);
            Assert.Equal(rest, accepted.Select(a => a.Json.GetProperty("brief").GetProperty("id").GetString()!));
            var state = await WebhookDisableTests.StateAsync(app, id, s => s.GetProperty("backlog").GetInt64() == 0, "caught up");
            Assert.Equal(rest.Count, state.GetProperty("delivered").GetInt64());
        }
    }
}
