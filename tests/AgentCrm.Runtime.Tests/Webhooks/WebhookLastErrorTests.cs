using System.Net;
using System.Text.Json;
using AgentCrm.Cli;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Reviews;
using AgentCrm.Webhooks;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// A subscription's <c>lastError</c> is kept after a success, as history: the API's times and `agentcrm webhooks list` tell
/// a current failure from a past one, so "0 failed in a row" beside an old error does not read as failing now.
/// </summary>
public sealed class WebhookLastErrorTests
{
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Webhooks:RetryBaseDelay"] = "00:00:00.050",
        ["Webhooks:RetryMaxDelay"] = "00:00:00.200",
        ["Webhooks:PollInterval"] = "00:00:00.200",
    };

    private static async Task<JsonElement> StateAsync(AgentCrmApp app, string id, Func<JsonElement, bool> done, string expecting)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var state = await app.GetJsonAsync($"/v1/webhooks/{id}");
            if (done(state))
                return state;
            Assert.True(DateTime.UtcNow < deadline, $"webhook {id}: expected {expecting}: {state}");
            await Task.Delay(20);
        }
    }

    private static async Task<string> ListedAsync(AgentCrmApp app, string id)
    {
        var listed = await CliRunner.RunAsync(["webhooks", "list", "--data", app.DataDirectory]);
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        return Assert.Single(listed.Stdout.Split('\n'), l => l.StartsWith(id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task List_AnErrorADeliveryCameAfter_IsShownAsPast_AFailureNow_AsCurrent()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.FailFirst = 2;
        await using var app = await AgentCrmApp.StartAsync(settings: Fast);
        using var created = await app.Client.PostAsync("/v1/webhooks", Variants.Json($$"""{"url":"{{receiver.Url}}"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        await receiver.WaitForAsync(1);
        var recovered = await StateAsync(app, id, s => s.GetProperty("lastSuccessAt").ValueKind == JsonValueKind.String, "a success after two failures");
        // Kept, with its time, before the success.
        Assert.Equal("HTTP 503", recovered.GetProperty("lastError").GetString());
        Assert.Equal(0, recovered.GetProperty("consecutiveFailures").GetInt32());
        Assert.True(recovered.GetProperty("lastSuccessAt").GetDateTimeOffset() > recovered.GetProperty("lastFailureAt").GetDateTimeOffset(), recovered.ToString());
        Assert.Matches(@" +0 failed in a row +delivering again; last error at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ: HTTP 503$", await ListedAsync(app, id));

        // Failing again: the error is current.
        receiver.Down = true;
        await app.PostEventsAsync(Timelines.AtRisk("globex", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        await StateAsync(app, id, s => s.GetProperty("consecutiveFailures").GetInt32() > 0, "a failure after the success");
        Assert.Matches(@" +[1-9]\d* failed in a row +last error: HTTP 503$", await ListedAsync(app, id));
    }

    [Fact]
    public void LastError_EnabledAgainWithNoSuccessSince_IsNotShownAsPast()
    {
        var failedAt = DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var enabled = new WebhookRecord("wh_1", "https://example.com/hook", null, null, "whsec_x", failedAt.AddDays(-5), "ops",
            10, 3, LastSuccessAt: failedAt.AddDays(-4), LastFailureAt: failedAt, LastError: "HTTP 500", ConsecutiveFailures: 0, NextAttemptAt: null);

        Assert.Equal("last error: HTTP 500", WebhooksCommand.LastError(WebhookView.Of(enabled, WebhookBacklog.None)));
        Assert.Equal("delivering again; last error at 2026-12-01 10:00:00Z: HTTP 500",
            WebhooksCommand.LastError(WebhookView.Of(enabled with { LastSuccessAt = failedAt.AddMinutes(1) }, WebhookBacklog.None)));
        Assert.Equal("", WebhooksCommand.LastError(WebhookView.Of(enabled with { LastError = null }, WebhookBacklog.None)));
    }
}
