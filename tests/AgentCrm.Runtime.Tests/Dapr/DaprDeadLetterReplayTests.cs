using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Actors;
using AgentCrm.Actors.Tests.Dapr;

namespace AgentCrm.Runtime.Tests.Dapr;

/// <summary>
/// Under Dapr a replay hands a dead letter to its customer's actor through daprd and hears whether it was applied: applied, it
/// leaves the list; failed again, it stays listed with the reason. A redelivery applied by /dapr/events takes it off too.
/// </summary>
public sealed class DaprDeadLetterReplayTests
{
    private const string AppToken = DaprEndToEndTests.AppToken;

    private static async Task<(AgentCrmApp App, FakeDaprd Daprd, JsonElement Event)> DeadLetteredAsync()
    {
        var (app, daprd) = await DaprEndToEndTests.StartAsync();
        daprd.MaxDeliveryAttempts = 3;
        daprd.FailStateTransactions(1000);
        var e = Ev.Make("initech", "nps", DateTimeOffset.UtcNow.AddHours(-1), new { score = 4 });
        await app.PostEventsAsync([e]);
        await app.WaitForProcessingAsync();
        await daprd.WaitForDeliveriesAsync();
        Assert.Single((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        return (app, daprd, JsonDocument.Parse(daprd.Published.Last().ToJsonString()).RootElement.Clone());
    }

    [Fact]
    public async Task ReplayWhileTheActorStillFails_LetterStaysListedWithWhy_UntilAReplayAppliesIt()
    {
        var (app, daprd, _) = await DeadLetteredAsync();
        await using var _d = daprd;
        await using var _a = app;

        // The cause is not fixed: the replay's turn fails again, and the answer says why.
        using (var replay = await app.Client.PostAsync("/v1/dead-letters/replay", null))
        {
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
            var answer = JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(0, answer.GetProperty("replayed").GetInt32());
            Assert.Contains("ERR_ACTOR_STATE_TRANSACTION_SAVE", Assert.Single(answer.GetProperty("failed").EnumerateArray()).GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        // Still listed and counted; not published again.
        var letter = Assert.Single((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, letter.GetProperty("republishedAt").ValueKind);
        Assert.Equal(1, (await app.GetJsonAsync("/readyz")).GetProperty("deadLetters").GetInt64());
        Assert.Single(daprd.Published);

        // Fixed: the next replay applies it, which takes it off the list.
        daprd.FailStateTransactions(0);
        using (var replay = await app.Client.PostAsync("/v1/dead-letters/replay", null))
        {
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
            Assert.Equal(1, JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement.GetProperty("replayed").GetInt32());
        }
        Assert.NotNull(daprd.StateOf(new ActorId("CustomerActor", "initech"), "customer"));
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal(0, (await app.GetJsonAsync("/readyz")).GetProperty("deadLetters").GetInt64());
    }

    [Fact]
    public async Task DeadLetterRedeliveredAndApplied_LeavesTheListWithoutAReplay()
    {
        var (app, daprd, cloudEvent) = await DeadLetteredAsync();
        await using var _d = daprd;
        await using var _a = app;

        // A broker duplicate of the event reaches /dapr/events once the store works again, and is applied.
        daprd.FailStateTransactions(0);
        using (var again = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/dapr/events")
        {
            Content = new StringContent(cloudEvent.GetRawText(), Encoding.UTF8, "application/cloudevents+json"),
            Headers = { { "dapr-api-token", AppToken } },
        }))
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        Assert.NotNull(daprd.StateOf(new ActorId("CustomerActor", "initech"), "customer"));
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal(0, (await app.GetJsonAsync("/readyz")).GetProperty("deadLetters").GetInt64());
    }

    /// <summary>
    /// A replay while daprd cannot be reached says so for the first letter and stops: the others are not tried (each
    /// would wait its 30 s in turn), and all stay listed.
    /// </summary>
    [Fact]
    public async Task ReplayWhileDaprdIsGone_FirstLetterSaysWhy_TheRestAreNotTried_AllStayListed()
    {
        var daprd = await FakeDaprd.StartAsync(appToken: AppToken);
        var daprdStopped = false;
        try
        {
            await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
            {
                ["Runtime:Host"] = "Dapr",
                ["Dapr:HttpEndpoint"] = daprd.Endpoint.ToString(),
                ["Dapr:AppApiToken"] = AppToken,
                ["Dapr:MaxRetries"] = "1",
            });
            await daprd.ConnectAppAsync(app.Client.BaseAddress!, subscribe: true);
            daprd.MaxDeliveryAttempts = 3;
            daprd.FailStateTransactions(1000);
            await app.PostEventsAsync([
                Ev.Make("initech", "nps", DateTimeOffset.UtcNow.AddHours(-2), new { score = 4 }),
                Ev.Make("globex", "nps", DateTimeOffset.UtcNow.AddHours(-1), new { score = 3 }),
            ]);
            await app.WaitForProcessingAsync();
            await daprd.WaitForDeliveriesAsync();
            Assert.Equal(2, (await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").GetArrayLength());

            await daprd.DisposeAsync();
            daprdStopped = true;
            using var replay = await app.Client.PostAsync("/v1/dead-letters/replay", null);

            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
            var answer = JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(0, answer.GetProperty("published").GetInt32());
            var failed = answer.GetProperty("failed").EnumerateArray().Select(f => f.GetProperty("error").GetString()!).ToList();
            Assert.Equal(2, failed.Count);
            Assert.Contains("could not be reached", failed[0], StringComparison.Ordinal);
            Assert.StartsWith("not tried: the replay stopped at event seq", failed[1], StringComparison.Ordinal);
            Assert.Equal(2, (await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").GetArrayLength());
        }
        finally
        {
            if (!daprdStopped)
                await daprd.DisposeAsync();
        }
    }
}
