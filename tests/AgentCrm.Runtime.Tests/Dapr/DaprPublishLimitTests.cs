using System.Net;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using AgentCrm.Actors.Tests.Dapr;
using AgentCrm.Dapr;
using AgentCrm.Intake;
using AgentCrm.Runtime.Tests.Intake;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Dapr;

/// <summary>
/// daprd takes request bodies up to its <c>--max-body-size</c> (4 MiB by default), intake up to Intake:MaxBodyBytes (16 MiB):
/// under Dapr an event whose CloudEvent daprd would refuse is refused at intake, and a publish daprd refuses for good anyway
/// (a smaller limit than configured, a topic it does not allow) becomes a dead letter instead of being retried for ever.
/// </summary>
public sealed class DaprPublishLimitTests
{
    private const string AppToken = "app-secret";

    private static async Task<(AgentCrmApp App, FakeDaprd Daprd, CapturedLogs Logs)> StartAsync(IDictionary<string, string?>? extra = null)
    {
        var daprd = await FakeDaprd.StartAsync(appToken: AppToken);
        var logs = new CapturedLogs();
        var settings = new Dictionary<string, string?>
        {
            ["Runtime:Host"] = "Dapr",
            ["Dapr:HttpEndpoint"] = daprd.Endpoint.ToString(),
            ["Dapr:AppApiToken"] = AppToken,
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
            settings[k] = v;
        var app = await AgentCrmApp.StartAsync(settings: settings, configure: s => s.AddSingleton(logs.Provider()));
        await daprd.ConnectAppAsync(app.Client.BaseAddress!, subscribe: true);
        return (app, daprd, logs);
    }

    /// <summary>An email event whose attributes hold <paramref name="bytes"/> bytes of text (a message body pasted in).</summary>
    private static JsonObject Email(string customerId, int bytes) =>
        Ev.Make(customerId, "email", DateTimeOffset.UtcNow.AddHours(-1), new { subject = "Renewal", body = new string('x', bytes) });

    [Fact]
    public async Task PostEvents_EventOverDaprdsBodyLimit_Is413NamingItAndNothingIsStored()
    {
        var (app, daprd, _) = await StartAsync();
        await using var _d = daprd;
        await using var _a = app;

        // 4.3 MB, as the QA pass sent: under Intake:MaxBodyBytes (16 MiB), over daprd's default 4 MiB once in its CloudEvent.
        var big = Email("acme", 4_300_000);
        using var response = await app.PostEventsAsync([Ev.Make("acme", "login", DateTimeOffset.UtcNow.AddHours(-2)), big]);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var error = Assert.Single(problem["errors"]!.AsObject());
        Assert.Equal("$[1].attributes", error.Key);
        var message = error.Value![0]!.GetValue<string>();
        Assert.Contains(big["id"]!.GetValue<string>(), message, StringComparison.Ordinal);
        Assert.Contains("Dapr:MaxBodyBytes", message, StringComparison.Ordinal);
        Assert.Contains("--max-body-size", message, StringComparison.Ordinal);
        Assert.Contains("Nothing was stored", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        // Neither event of the batch is stored, nor published.
        Assert.Equal(0, app.Services.GetRequiredService<EventStore>().MaxSeq());
        Assert.Empty(daprd.Published);

        // Just under the limit: accepted, published (daprd takes it) and applied.
        using var fits = await app.PostEventsAsync([Email("acme", 4_000_000)]);
        Assert.Equal(HttpStatusCode.Accepted, fits.StatusCode);
        await app.WaitForProcessingAsync();
        await daprd.WaitForDeliveriesAsync();
        Assert.Single(daprd.Published);
        Assert.Equal(1, JsonNode.Parse(daprd.StateOf(new ActorId("CustomerActor", "acme"), "customer")!)!["eventsApplied"]!.GetValue<int>());
    }

    /// <summary>
    /// The CloudEvent carries text as UTF-8, as actor state does: with the default encoder each Cyrillic letter was a 6-byte
    /// <c>\uXXXX</c>, so 1.44 MB of Russian was refused as a 4.3 MB CloudEvent, a third of daprd's limit (qa45c M1).
    /// </summary>
    [Fact]
    public async Task PostEvents_NonLatinTextWellUnderTheLimitAsUtf8_IsAcceptedAndPublishedAsUtf8()
    {
        var (app, daprd, _) = await StartAsync();
        await using var _d = daprd;
        await using var _a = app;

        var body = string.Concat(Enumerable.Repeat("Привет", 120_000));
        var email = Ev.Make("acme", "email", DateTimeOffset.UtcNow.AddHours(-1), new { subject = "Продление", body });
        using var response = await app.PostEventsAsync([email]);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await app.WaitForProcessingAsync();
        await daprd.WaitForDeliveriesAsync();
        var published = Assert.Single(daprd.Published);
        Assert.Equal(body, published["data"]!["attributes"]!["body"]!.GetValue<string>());
        Assert.Equal(1, JsonNode.Parse(daprd.StateOf(new ActorId("CustomerActor", "acme"), "customer")!)!["eventsApplied"]!.GetValue<int>());
    }

    [Fact]
    public void CloudEventBytes_NonAsciiText_IsUtf8NotEscaped()
    {
        using var attributes = System.Text.Json.JsonDocument.Parse("{\"body\":\"Привет 日本語\"}");
        var e = new AgentCrm.Agents.Customers.CrmEvent("evt-1", "acme", "email", new DateTimeOffset(2026, 11, 2, 9, 30, 0, TimeSpan.FromHours(2)), null, attributes.RootElement);

        var text = System.Text.Encoding.UTF8.GetString(DaprEventPublisher.CloudEventBytes(new StoredEvent(1, e, new DateTimeOffset(2026, 11, 2, 9, 31, 0, TimeSpan.FromHours(2)), null)));

        Assert.Contains("Привет 日本語", text, StringComparison.Ordinal);
        Assert.Contains("+02:00", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostEvents_DaprMaxBodyBytesRaised_TakesTheLargerEvent()
    {
        var (app, daprd, _) = await StartAsync(new Dictionary<string, string?> { ["Dapr:MaxBodyBytes"] = (8 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await using var _d = daprd;
        await using var _a = app;
        daprd.MaxBodyBytes = 8 * 1024 * 1024;

        using var response = await app.PostEventsAsync([Email("acme", 4_300_000)]);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await app.WaitForProcessingAsync();
        Assert.Single(daprd.Published);
    }

    [Fact]
    public async Task Publish_DaprdRefusesForGood_EventIsADeadLetterOnceAndTheWatermarkMovesOn()
    {
        // The app is told daprd takes 16 MiB; this daprd runs with the default 4 MiB and answers the publish 413.
        var (app, daprd, logs) = await StartAsync(new Dictionary<string, string?> { ["Dapr:MaxBodyBytes"] = (16 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await using var _d = daprd;
        await using var _a = app;
        var big = Email("acme", 4_300_000);
        var bigId = big["id"]!.GetValue<string>();

        using (var accepted = await app.PostEventsAsync([big]))
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        using (var later = await app.PostEventsAsync([Ev.Make("initech", "login", DateTimeOffset.UtcNow.AddMinutes(-5))]))
            Assert.Equal(HttpStatusCode.Accepted, later.StatusCode);

        // Not retried for ever: settled as a dead letter, and the event after it is published.
        await app.WaitForProcessingAsync(TimeSpan.FromSeconds(60));
        await daprd.WaitForDeliveriesAsync();
        var letter = Assert.Single((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal(bigId, letter.GetProperty("eventId").GetString());
        var error = letter.GetProperty("error").GetString()!;
        Assert.Contains("413", error, StringComparison.Ordinal);
        Assert.Contains("ERR_BODY_TOO_LARGE", error, StringComparison.Ordinal);
        Assert.Equal(1, (await app.GetJsonAsync("/readyz")).GetProperty("deadLetters").GetInt64());
        Assert.Equal(["initech"], daprd.Published.Select(p => p["subject"]!.GetValue<string>()));
        Assert.NotNull(daprd.StateOf(new ActorId("CustomerActor", "initech"), "customer"));
        // Logged once, as the dead letter; no retries of it.
        Assert.Single(logs.Entries, e => e.Message.Contains(bigId, StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains(bigId, StringComparison.Ordinal) && e.Message.Contains("recorded in dead_letters", StringComparison.Ordinal));

        // Once daprd takes larger bodies, the replay hands it to the actor through daprd, which applies it before the answer.
        daprd.MaxBodyBytes = 16 * 1024 * 1024;
        using var replay = await app.Client.PostAsync("/v1/dead-letters/replay", null);
        var outcome = JsonNode.Parse(await replay.Content.ReadAsStringAsync())!;
        Assert.Equal(1, outcome["replayed"]!.GetValue<int>());
        Assert.Equal(0, outcome["published"]!.GetValue<int>());
        Assert.Equal(1, JsonNode.Parse(daprd.StateOf(new ActorId("CustomerActor", "acme"), "customer")!)!["eventsApplied"]!.GetValue<int>());
        Assert.Equal(0, (await app.GetJsonAsync("/readyz")).GetProperty("deadLetters").GetInt64());
    }

    /// <summary>
    /// While daprd's broker is down every customer with events waiting retries its publish at once: one warning per reason and
    /// 10 s, with the count not logged, not one per customer and attempt (qa43d #2: 3,200 lines a minute for 400 customers);
    /// every event is published once it is back.
    /// </summary>
    [Fact]
    public async Task Publish_FailingForManyCustomers_LogsOneWarningPerReasonAndInterval_AndPublishesAllOnceBack()
    {
        var (app, daprd, logs) = await StartAsync(new Dictionary<string, string?> { ["Dapr:MaxRetries"] = "0", ["Dapr:RetryBaseDelay"] = "00:00:00.010" });
        await using var _d = daprd;
        await using var _a = app;
        daprd.FailPublishes(120);

        using (var accepted = await app.PostEventsAsync([.. Enumerable.Range(0, 30).Select(i => Ev.Make($"c-{i}", "login", DateTimeOffset.UtcNow.AddMinutes(-5)))]))
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        await app.WaitForProcessingAsync(TimeSpan.FromSeconds(60));
        await daprd.WaitForDeliveriesAsync();
        Assert.Equal(30, daprd.Published.Count);
        var warnings = logs.Entries.Where(e => e.Message.StartsWith("Publishing event ", StringComparison.Ordinal)).ToList();
        // 120 failed publishes in a few seconds: the first line, and at most one more per 10 s.
        Assert.InRange(warnings.Count, 1, 3);
        Assert.Contains("ERR_PUBSUB_PUBLISH_MESSAGE", warnings[0].Message, StringComparison.Ordinal);
        Assert.Contains("logged at most once per 10 s", warnings[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"body\":\"%\"}")]
    [InlineData("{\"<&>\":\"\\u0001\\u0002\\n\\t\\\"'+`\",\"n\":1e5,\"x\":-0.000001E-300}")]
    [InlineData("{\"é\":\"ééééé 日本語 😀😀😀 \\ud83d\\ude00\"}")]
    [InlineData("{ \"a\" : [ { \"b\" : [ 1 , true , null , \"<\" ] } ] ,\n \"c\" : { } }")]
    // Written as \uXXXX by the relaxed encoder too: DEL and C1 controls (1 and 2 bytes sent), private use, line separator.
    [InlineData("{\"\u007f\":\"\u007f\u007f\u0085\ue000\u2028 \\u007f\"}")]
    public void SizeAtMost_AnyAttributes_IsNoLessThanThePublishedCloudEvent(string attributes)
    {
        var sourceId = "01JXR8Q6ZK3M7W1N4P5T2Y9H0A";
        var receivedAt = DateTimeOffset.UtcNow;
        // % stands for 10,000 '<', each written \u003C: 6 bytes for 1 sent.
        using var json = System.Text.Json.JsonDocument.Parse(attributes.Replace("%", new string('<', 10_000), StringComparison.Ordinal));
        var e = new AgentCrm.Agents.Customers.CrmEvent("evt-<1>&'é", "acme<&>", "email", new DateTimeOffset(2026, 11, 2, 9, 30, 0, TimeSpan.FromHours(-5)).AddTicks(1234567), "crm+<sync>", json.RootElement);

        var published = DaprEventPublisher.CloudEventBytes(
            new StoredEvent(long.MaxValue, e, receivedAt, new AgentCrm.Agents.Customers.CustomerTimeline.Delivery(sourceId, long.MaxValue))).LongLength;

        Assert.InRange(published, 1, DaprEventPublisher.SizeAtMost(e, DaprEventPublisher.EmptyEnvelopeBytes(sourceId, receivedAt)));
    }

    [Theory]
    [InlineData(400, true)]
    [InlineData(401, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(413, true)]
    [InlineData(415, true)]
    [InlineData(422, true)]
    [InlineData(408, false)]
    [InlineData(429, false)]
    [InlineData(500, false)]
    [InlineData(503, false)]
    public void RefusedForGood_ByStatus_OnlyAnswersAboutTheMessage(int status, bool refused)
    {
        var ex = new DaprApiException("publish", (HttpStatusCode)status, "ERR_X", "x");

        Assert.Equal(refused, DaprEventPublisher.RefusedForGood(ex));
    }

    [Theory]
    [InlineData("ERR_PUBSUB_NOT_FOUND", false)]
    [InlineData("ERR_PUBSUB_NOT_CONFIGURED", false)]
    [InlineData("ERR_PUBSUB_REQUEST_METADATA", false)]
    [InlineData("ERR_PUBSUB_EVENTS_SER", true)]
    [InlineData("ERR_MALFORMED_REQUEST", true)]
    [InlineData(null, true)]
    public void RefusedForGood_400ByErrorCode_RetriesThoseAboutDaprdsConfiguration(string? errorCode, bool refused)
    {
        // daprd answers a publish to a pub/sub it does not know 400 ERR_PUBSUB_NOT_FOUND: a typo in Dapr:PubSubName, which
        // would make every accepted event a dead letter were it taken as a refusal of the message.
        var ex = new DaprApiException("publish", HttpStatusCode.BadRequest, errorCode, "pubsub 'pubsbu' not found");

        Assert.Equal(refused, DaprEventPublisher.RefusedForGood(ex));
    }

    [Fact]
    public void RefusedForGood_DaprdUnreachable_IsRetried()
    {
        Assert.False(DaprEventPublisher.RefusedForGood(new DaprApiException("could not be reached", new HttpRequestException("Connection refused"))));
    }
}
