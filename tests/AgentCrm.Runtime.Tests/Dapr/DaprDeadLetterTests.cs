using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using AgentCrm.Actors.Tests.Dapr;

namespace AgentCrm.Runtime.Tests.Dapr;

/// <summary>
/// Under Dapr an accepted event whose turn keeps failing is moved by daprd to the dead-letter topic: the app subscribes to it
/// and records the event in the same dead-letter list the embedded dispatcher fills, so it is listed, counted and replayed.
/// </summary>
public sealed class DaprDeadLetterTests
{
    private const string AppToken = "app-secret";

    [Fact]
    public async Task EventDaprdDeadLetters_IsListedCounted_AndReplayAppliesItOnce()
    {
        var daprd = await FakeDaprd.StartAsync(appToken: AppToken);
        await using var _d = daprd;
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Runtime:Host"] = "Dapr",
            ["Dapr:HttpEndpoint"] = daprd.Endpoint.ToString(),
            ["Dapr:AppApiToken"] = AppToken,
        });
        await daprd.ConnectAppAsync(app.Client.BaseAddress!, subscribe: true);
        daprd.MaxDeliveryAttempts = 3;
        var customer = new ActorId("CustomerActor", "initech");
        var e = Ev.Make("initech", "nps", DateTimeOffset.UtcNow.AddHours(-1), new { score = 4 });
        var id = e["id"]!.GetValue<string>();

        // The actor state store refuses every transaction: each delivery fails, daprd gives up and moves it to the dead-letter topic.
        daprd.FailStateTransactions(1000);
        await app.PostEventsAsync([e]);
        await app.WaitForProcessingAsync();
        await daprd.WaitForDeliveriesAsync();
        Assert.Single(daprd.DeadLettered);
        Assert.Null(daprd.StateOf(customer, "customer"));

        var letter = Assert.Single((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal(id, letter.GetProperty("eventId").GetString());
        Assert.Equal("initech", letter.GetProperty("customerId").GetString());
        Assert.Contains("crm-events-dead", letter.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, (await app.GetJsonAsync("/readyz")).GetProperty("deadLetters").GetInt64());

        // The store recovers: a replay publishes it again and the actor applies it, once, even if the broker repeats it.
        daprd.FailStateTransactions(0);
        using var replay = await app.Client.PostAsync("/v1/dead-letters/replay", null);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(1, JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement.GetProperty("replayed").GetInt32());
        await daprd.WaitForDeliveriesAsync();
        using (var again = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/dapr/events")
        {
            Content = new StringContent(daprd.Published.Last().ToJsonString(), Encoding.UTF8, "application/cloudevents+json"),
            Headers = { { "dapr-api-token", AppToken } },
        }))
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        Assert.Equal(1, JsonNode.Parse(daprd.StateOf(customer, "customer")!)!["eventsApplied"]!.GetValue<int>());
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal(0, (await app.GetJsonAsync("/readyz")).GetProperty("deadLetters").GetInt64());
    }

    [Fact]
    public async Task DeadLetterOfAnEventThisInstanceNeverAccepted_Is500SoTheBrokerHandsItOn_AndNotAnEventIsDropped()
    {
        var daprd = await FakeDaprd.StartAsync(appToken: AppToken);
        await using var _d = daprd;
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Runtime:Host"] = "Dapr",
            ["Dapr:HttpEndpoint"] = daprd.Endpoint.ToString(),
            ["Dapr:AppApiToken"] = AppToken,
        });
        using var subscribe = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/dapr/subscribe") { Headers = { { "dapr-api-token", AppToken } } });
        var dead = JsonNode.Parse(await subscribe.Content.ReadAsStringAsync())!.AsArray().Single(s => s!["topic"]!.GetValue<string>() == "crm-events-dead")!;
        Assert.Equal("pubsub", dead["pubsubname"]!.GetValue<string>());
        var route = dead["route"]!.GetValue<string>();

        var now = DateTimeOffset.UtcNow.ToString("O");
        var data = new JsonObject { ["id"] = "e9", ["customerId"] = "hooli", ["type"] = "login", ["occurredAt"] = now, ["delivery"] = new JsonObject { ["source"] = "other", ["seq"] = 3 } };
        using var foreign = await PostAsync(app, route, new JsonObject { ["specversion"] = "1.0", ["id"] = "e9", ["data"] = data }.ToJsonString());
        using var notAnEvent = await PostAsync(app, route, """{"specversion":"1.0","id":"x","data":"hello"}""");

        Assert.Equal(HttpStatusCode.InternalServerError, foreign.StatusCode);
        Assert.Equal("application/problem+json", foreign.Content.Headers.ContentType?.MediaType);
        Assert.Equal("DROP", JsonNode.Parse(await notAnEvent.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
    }

    private static Task<HttpResponseMessage> PostAsync(AgentCrmApp app, string route, string cloudEvent) =>
        app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, route)
        {
            Content = new StringContent(cloudEvent, Encoding.UTF8, "application/cloudevents+json"),
            Headers = { { "dapr-api-token", AppToken } },
        });
}
