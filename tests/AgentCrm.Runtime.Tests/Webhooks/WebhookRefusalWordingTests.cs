using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// Webhooks:AllowPrivateAddresses=false refuses an address in the same words when a subscription is made and when a
/// delivery is not sent: a multicast receiver's <c>lastError</c> said "private, loopback or link-local".
/// </summary>
public sealed class WebhookRefusalWordingTests
{
    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Webhooks:RetryBaseDelay"] = "00:00:00.050",
        ["Webhooks:RetryMaxDelay"] = "00:00:00.200",
        ["Webhooks:PollInterval"] = "00:00:00.200",
    };

    private const string Kinds = "private, loopback, link-local, shared, multicast, reserved, broadcast or unspecified";

    [Fact]
    public async Task Delivery_ToAMulticastAddress_LastErrorNamesTheKindsAsTheCreateRefusalDoes()
    {
        const string url = "http://224.0.0.1:9/hook";
        var dir = TempDirectory.Create();
        // Subscribed while private addresses were allowed (the default); the server then restarts with them refused.
        await using (var before = await AgentCrmApp.StartAsync(dir, Fast))
        {
            using var created = await before.Client.PostAsync("/v1/webhooks", Variants.Json($$"""{"url":"{{url}}"}"""));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        await using var app = await AgentCrmApp.StartAsync(dir, new Dictionary<string, string?>(Fast) { ["Webhooks:AllowPrivateAddresses"] = "false" });
        var id = (await app.GetJsonAsync("/v1/webhooks")).GetProperty("items")[0].GetProperty("id").GetString()!;

        await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement state;
        while ((state = await app.GetJsonAsync($"/v1/webhooks/{id}")).GetProperty("lastError").ValueKind != JsonValueKind.String)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no failed attempt yet: {state}");
            await Task.Delay(20);
        }
        using var again = await app.Client.PostAsync("/v1/webhooks", Variants.Json($$"""{"url":"{{url}}","agentId":"renewal-risk"}"""));
        var refusal = (await again.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("url")[0].GetString();

        Assert.Equal($"not sent: 224.0.0.1 resolves only to {Kinds} addresses, which Webhooks:AllowPrivateAddresses=false refuses", state.GetProperty("lastError").GetString());
        Assert.Equal($"224.0.0.1 is a {Kinds} address, which Webhooks:AllowPrivateAddresses=false refuses.", refusal);
    }
}
