using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using AgentCrm.Actors.Tests.Dapr;

namespace AgentCrm.Runtime.Tests.Dapr;

/// <summary>
/// Two instances of one app id, each with its sidecar, over one actor state store. A dead letter is listed by the instance
/// daprd delivered it to; by the time it is replayed, placement may host its customer on the other instance, and the consumer
/// group may hand the other instance the messages published here. The instance that lists the letter must still learn that
/// the replay applied it: take it off its list and audit it.
/// </summary>
public sealed class DaprMultiInstanceReplayTests
{
    private const string AppToken = "app-secret";

    private static Task<AgentCrmApp> StartAppAsync(FakeDaprd daprd) => AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Runtime:Host"] = "Dapr",
        ["Dapr:HttpEndpoint"] = daprd.Endpoint.ToString(),
        ["Dapr:AppApiToken"] = AppToken,
    });

    [Fact]
    public async Task ReplayOfADeadLetter_ActorAndDeliveriesOnTheOtherInstance_LeavesThisInstancesList_Audited()
    {
        await using var daprdA = await FakeDaprd.StartAsync(appToken: AppToken);
        await using var daprdB = await FakeDaprd.StartAsync(appToken: AppToken, shareStateWith: daprdA);
        await using var appA = await StartAppAsync(daprdA);
        await using var appB = await StartAppAsync(daprdB);
        await daprdA.ConnectAppAsync(appA.Client.BaseAddress!, subscribe: true);
        await daprdB.ConnectAppAsync(appB.Client.BaseAddress!, subscribe: true);

        // Instance A's sidecar refuses every state save: the event A accepted ends on crm-events-dead, listed by A.
        daprdA.MaxDeliveryAttempts = 3;
        daprdA.FailStateTransactions(1000);
        var e = Ev.Make("initech", "nps", DateTimeOffset.UtcNow.AddHours(-1), new { score = 4 });
        await appA.PostEventsAsync([e]);
        await appA.WaitForProcessingAsync();
        await daprdA.WaitForDeliveriesAsync();
        Assert.Single((await appA.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());

        // Fixed; the customer now lives on instance B, and what A publishes is delivered to B.
        daprdA.FailStateTransactions(0);
        daprdA.RouteTo = daprdB;
        using var replay = await appA.Client.PostAsync("/v1/dead-letters/replay", null);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        var outcome = JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement;
        await daprdB.WaitForDeliveriesAsync();

        // Applied once, on B; A heard so: counted replayed, off A's list and count, audited on A.
        Assert.Equal(1, JsonNode.Parse(daprdA.StateOf(new ActorId("CustomerActor", "initech"), "customer")!)!["eventsApplied"]!.GetValue<int>());
        Assert.Equal(1, outcome.GetProperty("replayed").GetInt32());
        Assert.Empty(outcome.GetProperty("failed").EnumerateArray());
        Assert.Empty((await appA.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal(0, (await appA.GetJsonAsync("/readyz")).GetProperty("deadLetters").GetInt64());
        var audit = Assert.Single((await appA.GetJsonAsync("/v1/audit?action=event.replayed")).GetProperty("items").EnumerateArray());
        Assert.Equal(e["id"]!.GetValue<string>(), audit.GetProperty("data").GetProperty("eventId").GetString());
    }
}
