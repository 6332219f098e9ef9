using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using AgentCrm.Actors.Tests.Dapr;
using AgentCrm.Runtime.Tests.EndToEnd;

namespace AgentCrm.Runtime.Tests.Dapr;

/// <summary>
/// The real server under <c>Runtime:Host = Dapr</c>, over loopback HTTP, beside an in-process daprd stand-in:
/// intake publishes CloudEvents, daprd delivers them to the subscription route, the route calls the
/// customer actor through daprd, and daprd runs the turn on the app's actor routes with state in "daprd".
/// </summary>
public sealed class DaprEndToEndTests
{
    internal const string AppToken = "app-secret";
    private const string ApiToken = "dapr-secret";

    /// <summary>The server in process under a fake daprd (both tokens set), connected and subscribed: for any test that runs it under Dapr.</summary>
    internal static async Task<(AgentCrmApp App, FakeDaprd Daprd)> StartAsync()
    {
        var daprd = await FakeDaprd.StartAsync(apiToken: ApiToken, appToken: AppToken);
        var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Runtime:Host"] = "Dapr",
            ["Dapr:HttpEndpoint"] = daprd.Endpoint.ToString(),
            ["Dapr:ApiToken"] = ApiToken,
            ["Dapr:AppApiToken"] = AppToken,
        });
        await daprd.ConnectAppAsync(app.Client.BaseAddress!, subscribe: true);
        return (app, daprd);
    }

    private static async Task SettleAsync(AgentCrmApp app, FakeDaprd daprd)
    {
        // Published up to the inbox's end, then every publication delivered and applied.
        await app.WaitForProcessingAsync();
        await daprd.WaitForDeliveriesAsync();
    }

    [Fact]
    public async Task FoundationScenario_UnderDaprHost_CustomerAtRiskGetsBriefWithReasons()
    {
        var (app, daprd) = await StartAsync();
        await using var _ = daprd;
        await using var __ = app;

        await RenewalRiskEndToEndTests.AtRiskScenarioAsync(app, () => SettleAsync(app, daprd), ordered: false);

        // It really went through daprd: config read, events published and delivered, state held by "daprd".
        Assert.Equal(["CustomerActor"], daprd.Config!["entities"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.NotEmpty(daprd.Published);
        Assert.All(daprd.Published, e => Assert.Equal("1.0", e["specversion"]!.GetValue<string>()));
        Assert.NotNull(daprd.StateOf(new ActorId("CustomerActor", "acme"), "customer"));
        Assert.Empty(daprd.DeadLettered);
        Assert.All(daprd.Received, r => Assert.Equal(ApiToken, r.Token));
    }

    [Fact]
    public async Task Delivery_SameCloudEventTwice_IsAppliedOnce()
    {
        var (app, daprd) = await StartAsync();
        await using var _ = daprd;
        await using var __ = app;
        await app.PostEventsAsync([Ev.Make("initech", "nps", DateTimeOffset.UtcNow.AddHours(-1), new { score = 9 })]);
        await SettleAsync(app, daprd);
        var first = daprd.Published.Single();

        using var again = await DeliverAsync(app, first.ToJsonString(), AppToken);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("SUCCESS", JsonNode.Parse(await again.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        var state = JsonNode.Parse(daprd.StateOf(new ActorId("CustomerActor", "initech"), "customer")!)!;
        Assert.Equal(1, state["eventsApplied"]!.GetValue<int>());
    }

    [Fact]
    public async Task Delivery_NotAnEvent_IsDroppedAndWithoutAppTokenIsRefused()
    {
        var (app, daprd) = await StartAsync();
        await using var _ = daprd;
        await using var __ = app;

        using var notAnEvent = await DeliverAsync(app, """{"specversion":"1.0","id":"x","data":"hello"}""", AppToken);
        // Published by someone else than our intake: the same rules as POST /v1/events, else dropped, never applied.
        var now = DateTimeOffset.UtcNow.ToString("O");
        var refused = new[]
        {
            $$"""{"id":"e1","customerId":"x/../y\u0001","type":"login","occurredAt":"{{now}}"}""",
            $$"""{"id":"e\u0000","customerId":"initech","type":"login","occurredAt":"{{now}}"}""",
            $$"""{"id":"e2","customerId":"initech","type":"anything","occurredAt":"{{now}}"}""",
            $$"""{"id":"e3","customerId":"initech","type":"usage","occurredAt":"{{now}}","attributes":{"quantity":1e400} }""",
        };
        foreach (var data in refused)
        {
            using var dropped = await DeliverAsync(app, $$$"""{"specversion":"1.0","id":"x","data":{{{data}}}}""", AppToken);
            Assert.Equal("DROP", JsonNode.Parse(await dropped.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        }
        Assert.Null(daprd.StateOf(new ActorId("CustomerActor", "initech"), "customer"));
        // One our intake numbered (accepted, perhaps by an earlier build with looser rules) applies as accepted.
        var numbered = $$"""{"id":"e4","customerId":"initech","type":"usage","occurredAt":"{{now}}","attributes":{"quantity":1e16},"delivery":{"source":"s1","seq":1} }""";
        using (var applied = await DeliverAsync(app, $$$"""{"specversion":"1.0","id":"y","data":{{{numbered}}}}""", AppToken))
            Assert.Equal("SUCCESS", JsonNode.Parse(await applied.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        Assert.Equal(1, JsonNode.Parse(daprd.StateOf(new ActorId("CustomerActor", "initech"), "customer")!)!["eventsApplied"]!.GetValue<int>());
        using var noToken = await DeliverAsync(app, """{"specversion":"1.0","id":"x","data":{}}""", token: null);
        using var subscribe = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/dapr/subscribe") { Headers = { { "dapr-api-token", AppToken } } });

        Assert.Equal(HttpStatusCode.OK, notAnEvent.StatusCode);
        Assert.Equal("DROP", JsonNode.Parse(await notAnEvent.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        // The events' topic, and the dead-letter topic (DaprDeadLetterTests).
        var subscriptions = JsonNode.Parse(await subscribe.Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal(2, subscriptions.Count);
        var subscription = subscriptions[0]!;
        Assert.Equal("pubsub", subscription["pubsubname"]!.GetValue<string>());
        Assert.Equal("crm-events", subscription["topic"]!.GetValue<string>());
        Assert.Equal("/dapr/events", subscription["route"]!.GetValue<string>());
        Assert.Equal("crm-events-dead", subscription["deadLetterTopic"]!.GetValue<string>());
        // daprd's health probe carries no token: /healthz stays open.
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Delivery_TurnFailsOnce_RedeliveryAppliesTheEventAndRegistersTheReminder()
    {
        var (app, daprd) = await StartAsync();
        await using var _ = daprd;
        await using var __ = app;
        var customer = new ActorId("CustomerActor", "globex");
        await app.PostEventsAsync([Ev.Make("globex", "nps", DateTimeOffset.UtcNow.AddHours(-2), new { score = 9 })]);
        await SettleAsync(app, daprd);

        // The contract's turn fails once in daprd (the re-score reminder cannot be created); daprd redelivers.
        daprd.FailReminderCreates(1);
        var end = DateTimeOffset.UtcNow.AddDays(200).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await app.PostEventsAsync([Ev.Make("globex", "contract", DateTimeOffset.UtcNow.AddHours(-1), new { contractType = "annual", startDate = "2025-01-01", endDate = end, value = 1000 })]);
        await SettleAsync(app, daprd);

        // The redelivery is not mistaken for a duplicate of the failed turn: the contract is saved, the reminder set.
        Assert.Empty(daprd.DeadLettered);
        var state = JsonNode.Parse(daprd.StateOf(customer, "customer")!)!;
        Assert.Equal(2, state["eventsApplied"]!.GetValue<int>());
        Assert.Equal(end, state["contract"]!["end"]!.GetValue<DateTimeOffset>().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(daprd.HasReminder(customer, "renewal-rescore"));
    }

    [Fact]
    public async Task Delivery_OldEventRedeliveredAfterHundredsOfNewer_IsNotAppliedTwice()
    {
        var (app, daprd) = await StartAsync();
        await using var _ = daprd;
        await using var __ = app;
        var customer = new ActorId("CustomerActor", "umbrella");
        var at = DateTimeOffset.UtcNow.AddDays(-2);
        var events = Enumerable.Range(0, 300).Select(i => Ev.Make("umbrella", "login", at.AddMinutes(i))).ToList();
        await app.PostEventsAsync(events);
        await SettleAsync(app, daprd);

        // A broker redelivers the first and the 100th CloudEvents (a consumer crash; a republish from the watermark),
        // long after the window of recent event ids has moved on.
        var published = daprd.Published.Where(p => p["subject"]!.GetValue<string>() == "umbrella").ToList();
        Assert.Equal(Enumerable.Range(1, 300), published.Select(p => p["data"]!["delivery"]!["seq"]!.GetValue<int>()).Order());
        foreach (var id in new[] { events[0]["id"]!.GetValue<string>(), events[99]["id"]!.GetValue<string>() })
        {
            using var again = await DeliverAsync(app, published.Single(p => p["id"]!.GetValue<string>() == id).ToJsonString(), AppToken);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        var state = JsonNode.Parse(daprd.StateOf(customer, "customer")!)!;
        Assert.Equal(300, state["eventsApplied"]!.GetValue<int>());
    }

    [Fact]
    public async Task DataDirectoryRestoredFromABackup_NewEventsAreStillApplied()
    {
        // Under Dapr the actors' state lives in daprd's store, not in the data directory: a restored inbox must not number
        // new events like ones the actors already applied.
        var daprd = await FakeDaprd.StartAsync(apiToken: ApiToken, appToken: AppToken);
        await using var _ = daprd;
        var dir = TempDirectory.Create();
        var backup = TempDirectory.Create();
        var settings = new Dictionary<string, string?>
        {
            ["Runtime:Host"] = "Dapr",
            ["Dapr:HttpEndpoint"] = daprd.Endpoint.ToString(),
            ["Dapr:ApiToken"] = ApiToken,
            ["Dapr:AppApiToken"] = AppToken,
        };
        async Task RunAsync(string data)
        {
            await using var app = await AgentCrmApp.StartAsync(data, settings);
            await daprd.ConnectAppAsync(app.Client.BaseAddress!, subscribe: true);
            await app.PostEventsAsync([Ev.Make("hooli", "login", DateTimeOffset.UtcNow.AddMinutes(-5))]);
            await SettleAsync(app, daprd);
        }

        await RunAsync(dir);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(dir))
            File.Copy(file, Path.Combine(backup, Path.GetFileName(file)));
        await RunAsync(dir);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await RunAsync(backup);

        Assert.Equal(3, JsonNode.Parse(daprd.StateOf(new ActorId("CustomerActor", "hooli"), "customer")!)!["eventsApplied"]!.GetValue<int>());
    }

    [Fact]
    public async Task Delivery_ActorCallFails_AnswersNon2xxSoDaprdRetriesThenDeadLetters()
    {
        var daprd = await FakeDaprd.StartAsync(apiToken: ApiToken, appToken: AppToken);
        await using var _ = daprd;
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Runtime:Host"] = "Dapr",
            ["Dapr:HttpEndpoint"] = daprd.Endpoint.ToString(),
            ["Dapr:ApiToken"] = ApiToken,
            ["Dapr:AppApiToken"] = AppToken,
        });
        // Placement never got the app's actor types: every call to the customer actor fails in daprd.
        await daprd.ConnectAppAsync(app.Client.BaseAddress!, subscribe: true, hostActors: false);
        daprd.MaxDeliveryAttempts = 3;

        await app.PostEventsAsync([Ev.Make("hooli", "nps", DateTimeOffset.UtcNow.AddHours(-1), new { score = 5 })]);
        await SettleAsync(app, daprd);

        Assert.Equal(3, daprd.DeliveryAttempts);
        var dead = Assert.Single(daprd.DeadLettered);
        Assert.Equal("hooli", dead["subject"]!.GetValue<string>());
        using var direct = await DeliverAsync(app, dead.ToJsonString(), AppToken);
        Assert.Equal(HttpStatusCode.InternalServerError, direct.StatusCode);
        Assert.Equal("application/problem+json", direct.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Start_DaprHostWithBadSettings_FailsNamingTheKeys()
    {
        var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Runtime:Host"] = "Dapr",
            ["Dapr:HttpEndpoint"] = "daprd-without-scheme",
            ["Dapr:PubSubName"] = "",
        }));

        Assert.Contains(ex.Failures, f => f.StartsWith("Dapr:HttpEndpoint", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("Dapr:PubSubName", StringComparison.Ordinal));
    }

    private static Task<HttpResponseMessage> DeliverAsync(AgentCrmApp app, string cloudEvent, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/dapr/events") { Content = new StringContent(cloudEvent, Encoding.UTF8, "application/cloudevents+json") };
        if (token is not null)
            request.Headers.Add("dapr-api-token", token);
        return app.Client.SendAsync(request);
    }
}
