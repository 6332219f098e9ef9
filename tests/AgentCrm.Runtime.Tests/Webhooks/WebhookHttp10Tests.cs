using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// A healthy receiver that closes each connection after its response (HTTP/1.0, as Python's http.server answers) is not
/// failed when the client reuses a connection it had closed: the request that never reached it is sent again at once on a
/// new connection, and nothing is counted, logged or kept as an error.
/// </summary>
public sealed class WebhookHttp10Tests
{
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Webhooks:RetryBaseDelay"] = "00:00:00.050",
        ["Webhooks:RetryMaxDelay"] = "00:00:00.200",
        ["Webhooks:PollInterval"] = "00:00:00.200",
    };

    [Fact]
    public async Task Delivery_ToAnHttp10ReceiverThatClosesAfterEachResponse_NeverFails()
    {
        await using var receiver = new Http10Receiver();
        await using var app = await AgentCrmApp.StartAsync(settings: Fast);
        using var created = await app.Client.PostAsync("/v1/webhooks", Variants.Json($$"""{"url":"{{receiver.Url}}"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        string[] customers = ["acme", "globex", "initech", "umbrella"];
        foreach (var customer in customers)
            await app.PostEventsAsync(Timelines.AtRisk(customer, DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var briefs = (await app.BriefsAsync("&status=delivered")).Count;
        Assert.True(briefs >= customers.Length, $"{briefs} delivered briefs");

        var state = await WebhookDisableTests.StateAsync(app, id, s => s.GetProperty("delivered").GetInt64() == briefs, $"{briefs} delivered");
        Assert.Equal((0, JsonValueKind.Null, JsonValueKind.Null), (state.GetProperty("consecutiveFailures").GetInt32(),
            state.GetProperty("lastError").ValueKind, state.GetProperty("lastFailureAt").ValueKind));
        // Each delivery reached the receiver once: none was answered twice after a failure the client made up.
        Assert.Equal(briefs, receiver.Answered.Distinct().Count());
        Assert.Equal(briefs, receiver.Answered.Count);
        // The race was run: requests did go out on connections the receiver had closed.
        Assert.True(receiver.OnClosedConnection > 0, "no request went out on a closed connection");
    }
}
