using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using AgentCrm.Access;
using AgentCrm.Runtime.Tests.EndToEnd;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// A quiet brief stream sends <c>event: heartbeat</c> every Auth:Streams:Heartbeat: a proxy that closes a response idle for a
/// minute (nginx's default proxy_read_timeout) cut a CSM's stream whenever no brief came for a minute.
/// </summary>
public sealed class BriefStreamHeartbeatTests
{
    [Fact]
    public async Task Stream_WithNothingToSend_SendsHeartbeats_AndBriefsStillArriveBetweenThem()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Auth:Streams:Heartbeat"] = "00:00:01" });
        using var ops = await app.ClientAsync(Roles.Ops, "ops-watch");
        using var response = await ops.GetAsync("/v1/briefs/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        await using var events = SseParser.Create(body).EnumerateAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);

        var before = DateTimeOffset.UtcNow;
        Assert.True(await events.MoveNextAsync(), "the stream ended");
        Assert.Equal("heartbeat", events.Current.EventType);
        var at = JsonDocument.Parse(events.Current.Data).RootElement.GetProperty("at").GetDateTimeOffset();
        Assert.InRange(at, before.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.True(await events.MoveNextAsync(), "the stream ended");
        Assert.Equal("heartbeat", events.Current.EventType);

        await app.PostEventsAsync(Timelines.AtRisk("beat-acme", DateTimeOffset.UtcNow));
        string? briefCustomer = null;
        while (briefCustomer is null && await events.MoveNextAsync())
            if (events.Current.EventType == "brief")
                briefCustomer = JsonDocument.Parse(events.Current.Data).RootElement.GetProperty("customerId").GetString();
            else
                Assert.Equal("heartbeat", events.Current.EventType);
        Assert.Equal("beat-acme", briefCustomer);
    }
}
