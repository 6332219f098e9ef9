using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using AgentCrm.Actors.Tests.Dapr;
using AgentCrm.Runtime.Tests.Intake;
using Microsoft.Extensions.DependencyInjection;

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

        // The store recovers: a replay hands it to the actor through daprd, which applies it before the answer, once, even if
        // the broker repeats it.
        daprd.FailStateTransactions(0);
        using var replay = await app.Client.PostAsync("/v1/dead-letters/replay", null);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        var outcome = JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(1, outcome.GetProperty("replayed").GetInt32());
        Assert.Equal(0, outcome.GetProperty("published").GetInt32());
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
    public async Task DeadLetterOfAnEventThisInstanceNeverAccepted_IsStoredListedAndReplayedFromHere_AndNotAnEventIsDropped()
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
        using var subscribe = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/dapr/subscribe") { Headers = { { "dapr-api-token", AppToken } } });
        var dead = JsonNode.Parse(await subscribe.Content.ReadAsStringAsync())!.AsArray().Single(s => s!["topic"]!.GetValue<string>() == "crm-events-dead")!;
        Assert.Equal("pubsub", dead["pubsubname"]!.GetValue<string>());
        var route = dead["route"]!.GetValue<string>();

        // Accepted by another instance (its number there: source "other", 3), whose inbox this one does not share.
        var occurred = DateTimeOffset.UtcNow.AddHours(-1).ToString("O");
        var data = new JsonObject { ["id"] = "e9", ["customerId"] = "hooli", ["type"] = "nps", ["occurredAt"] = occurred, ["attributes"] = new JsonObject { ["score"] = 4 },
            ["delivery"] = new JsonObject { ["source"] = "other", ["seq"] = 3 } };
        var message = new JsonObject { ["specversion"] = "1.0", ["id"] = "e9", ["data"] = data }.ToJsonString();
        using var foreign = await PostAsync(app, route, message);
        using var notAnEvent = await PostAsync(app, route, """{"specversion":"1.0","id":"x","data":"hello"}""");

        // Recorded here (it was 500 on every redelivery, forever, when no instance held it).
        Assert.Equal(HttpStatusCode.OK, foreign.StatusCode);
        Assert.Equal("SUCCESS", JsonNode.Parse(await foreign.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        Assert.Equal("DROP", JsonNode.Parse(await notAnEvent.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        var letter = Assert.Single((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal("e9", letter.GetProperty("eventId").GetString());
        Assert.Equal("hooli", letter.GetProperty("customerId").GetString());
        Assert.Equal("nps", letter.GetProperty("type").GetString());
        Assert.Contains("did not hold it", letter.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, (await app.GetJsonAsync("/readyz")).GetProperty("deadLetters").GetInt64());
        // A redelivery of the dead letter is recorded once more, not stored twice.
        using (var again = await PostAsync(app, route, message))
            Assert.Equal("SUCCESS", JsonNode.Parse(await again.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        Assert.Single((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());

        // Stored, but not dispatched as an event accepted here: events accepted after it go out, it does not.
        await app.PostEventsAsync([Ev.Make("initech", "nps", DateTimeOffset.UtcNow.AddHours(-1), new { score = 9 })]);
        await app.WaitForProcessingAsync();
        await daprd.WaitForDeliveriesAsync();
        Assert.DoesNotContain(daprd.Published, p => p["id"]!.GetValue<string>() == "e9");

        // Replayed from here: handed to the actor under its number from the instance that accepted it, and applied once.
        using var replay = await app.Client.PostAsync("/v1/dead-letters/replay", null);
        Assert.Equal(1, JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement.GetProperty("replayed").GetInt32());
        var call = Assert.Single(daprd.Received, r => r.Path == "/v1.0/actors/CustomerActor/hooli/method/apply");
        var delivery = JsonNode.Parse(call.Body)!["events"]![0]!["delivery"]!;
        Assert.Equal("other", delivery["source"]!.GetValue<string>());
        Assert.Equal(3, delivery["seq"]!.GetValue<long>());
        Assert.Equal(1, JsonNode.Parse(daprd.StateOf(new ActorId("CustomerActor", "hooli"), "customer")!)!["eventsApplied"]!.GetValue<int>());
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task DeadLetterThatCannotBeRecordedHere_IsDroppedWithAnErrorNamingIt_NotRedeliveredForever()
    {
        var daprd = await FakeDaprd.StartAsync(appToken: AppToken);
        await using var _d = daprd;
        var logs = new CapturedLogs();
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Runtime:Host"] = "Dapr",
            ["Dapr:HttpEndpoint"] = daprd.Endpoint.ToString(),
            ["Dapr:AppApiToken"] = AppToken,
        }, configure: s => s.AddSingleton(logs.Provider()));
        await daprd.ConnectAppAsync(app.Client.BaseAddress!, subscribe: true);
        // This inbox holds initech's event "taken"; another instance accepted hooli's event under the same id.
        await app.PostEventsAsync([Ev.Make("initech", "nps", DateTimeOffset.UtcNow.AddHours(-1), new { score = 9 }, id: "taken")]);
        await app.WaitForProcessingAsync();
        await daprd.WaitForDeliveriesAsync();

        var data = new JsonObject { ["id"] = "taken", ["customerId"] = "hooli", ["type"] = "login", ["occurredAt"] = DateTimeOffset.UtcNow.ToString("O"),
            ["delivery"] = new JsonObject { ["source"] = "other", ["seq"] = 1 } };
        using var dropped = await PostAsync(app, "/dapr/dead-letters", new JsonObject { ["specversion"] = "1.0", ["id"] = "taken", ["data"] = data }.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, dropped.StatusCode);
        Assert.Equal("DROP", JsonNode.Parse(await dropped.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Contains(logs.Entries, l => l.Message.Contains("Event taken for customer hooli", StringComparison.Ordinal) && l.Message.Contains("DROPPED", StringComparison.Ordinal));
    }

    private static Task<HttpResponseMessage> PostAsync(AgentCrmApp app, string route, string cloudEvent) =>
        app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, route)
        {
            Content = new StringContent(cloudEvent, Encoding.UTF8, "application/cloudevents+json"),
            Headers = { { "dapr-api-token", AppToken } },
        });
}
