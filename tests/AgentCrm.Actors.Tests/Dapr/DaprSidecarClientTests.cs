using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Dapr;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// The daprd side of the protocol sheet (§3): our calls have the documented verb, path, headers and body,
/// and daprd's documented answers (204 on a missing key, raw value echo, error bodies) are read as documented.
/// </summary>
public sealed class DaprSidecarClientTests
{
    private static readonly ActorId Customer = new("CustomerActor", "c-1");

    [Fact]
    public async Task GetState_MissingKey_Is204AndReadsAsNull()
    {
        var (client, daprd) = Create((_, _) => new HttpResponseMessage(HttpStatusCode.NoContent));

        Assert.Null(await client.GetStateAsync(Customer, "k", CancellationToken.None));

        var request = Assert.Single(daprd.Requests);
        Assert.Equal("GET http://127.0.0.1:3500/v1.0/actors/CustomerActor/c-1/state/k", $"{request.Method} {request.Uri}");
        Assert.Equal("tok", request.Token);
    }

    [Fact]
    public async Task GetState_StoredJsonString_ComesBackAsTheRawValueWithQuotes()
    {
        // dapr/dapr tests/integration/suite/actors/state/http.go: the value is echoed as stored.
        var (client, _) = Create((_, _) => Json(HttpStatusCode.OK, "\"value1\""));

        var value = await client.GetStateAsync(Customer, "key1", CancellationToken.None);

        Assert.Equal("\"value1\"", Encoding.UTF8.GetString(value!));
    }

    [Fact]
    public async Task SaveState_UpsertAndDelete_IsOnePostedTransactionArray()
    {
        var (client, daprd) = Create((_, _) => new HttpResponseMessage(HttpStatusCode.NoContent));

        await client.SaveStateAsync(Customer, [new StateChange("k", Encoding.UTF8.GetBytes("""{"a":1}""")), new StateChange("old", null)], CancellationToken.None);

        var request = Assert.Single(daprd.Requests);
        Assert.Equal("POST http://127.0.0.1:3500/v1.0/actors/CustomerActor/c-1/state", $"{request.Method} {request.Uri}");
        Assert.Equal("application/json", request.ContentType);
        // The JavaScript SDK's request for the same transaction (protocol sheet §10), byte for byte.
        Assert.Equal("""[{"operation":"upsert","request":{"key":"k","value":{"a":1}}},{"operation":"delete","request":{"key":"old"}}]""", request.Body);
    }

    [Fact]
    public async Task SaveState_ActorNotActive_ThrowsWithDaprdsErrorCode()
    {
        var (client, daprd) = Create((_, _) => Json(HttpStatusCode.BadRequest, """{"errorCode":"ERR_ACTOR_INSTANCE_MISSING","message":"actor instance is missing"}"""));

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.SaveStateAsync(Customer, [new StateChange("k", "1"u8.ToArray())], CancellationToken.None));

        Assert.Equal("ERR_ACTOR_INSTANCE_MISSING", ex.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal("actor instance is missing", ex.DaprMessage);
        Assert.Single(daprd.Requests);
    }

    [Fact]
    public async Task RegisterReminder_DueTimePeriodAndData_PostsGoDurations()
    {
        var (client, daprd) = Create((_, _) => new HttpResponseMessage(HttpStatusCode.NoContent));

        await client.RegisterReminderAsync(Customer, "rescore", TimeSpan.FromSeconds(10), TimeSpan.FromHours(24), JsonDocument.Parse("""{"why":"renewal"}""").RootElement, CancellationToken.None);
        await client.UnregisterReminderAsync(Customer, "rescore", CancellationToken.None);

        Assert.Equal("POST http://127.0.0.1:3500/v1.0/actors/CustomerActor/c-1/reminders/rescore", $"{daprd.Requests[0].Method} {daprd.Requests[0].Uri}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"period":"24h","dueTime":"10s","data":{"why":"renewal"}}"""), JsonNode.Parse(daprd.Requests[0].Body)), daprd.Requests[0].Body);
        Assert.Equal("DELETE http://127.0.0.1:3500/v1.0/actors/CustomerActor/c-1/reminders/rescore", $"{daprd.Requests[1].Method} {daprd.Requests[1].Uri}");
    }

    [Fact]
    public async Task RegisterReminder_OneShotFarAhead_SendsNoPeriodAndDaysAsHours()
    {
        var (client, daprd) = Create((_, _) => new HttpResponseMessage(HttpStatusCode.NoContent));

        await client.RegisterReminderAsync(Customer, "renewal-rescore", TimeSpan.FromDays(60) + TimeSpan.FromMinutes(90), null, null, CancellationToken.None);

        Assert.Equal("""{"dueTime":"1441h30m"}""", daprd.Requests[0].Body);
    }

    [Fact]
    public async Task RegisterReminder_Exists409_ThrowsWithErrorCode()
    {
        // dapr/dapr tests/integration/suite/actors/reminders/overwrite.go.
        var (client, _) = Create((_, _) => Json(HttpStatusCode.Conflict, """{"errorCode":"ERR_ACTOR_REMINDER_ALREADY_EXISTS","message":"actor reminder already exists: helloworld"}"""));

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.RegisterReminderAsync(Customer, "helloworld", TimeSpan.Zero, null, null, CancellationToken.None));

        Assert.Equal("ERR_ACTOR_REMINDER_ALREADY_EXISTS", ex.ErrorCode);
        Assert.Contains("actor reminder already exists: helloworld", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_Method_PostsJsonBodyAndReadsTheAppsAnswer()
    {
        var (client, daprd) = Create((_, _) => Json(HttpStatusCode.OK, """{"applied":1}"""));

        var response = await client.InvokeActorMethodAsync(Customer, "Handle", """{"id":"e1"}"""u8.ToArray(), CancellationToken.None);

        var request = Assert.Single(daprd.Requests);
        Assert.Equal("POST http://127.0.0.1:3500/v1.0/actors/CustomerActor/c-1/method/Handle", $"{request.Method} {request.Uri}");
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("""{"id":"e1"}""", request.Body);
        Assert.Equal("""{"applied":1}""", Encoding.UTF8.GetString(response.Body));
        Assert.False(response.IsAppError);
    }

    [Fact]
    public async Task Invoke_AppNon200_DaprdsErrorInvokeMethodBecomesTheException()
    {
        // dapr/dapr tests/integration/suite/actors/call/non200.go.
        var (client, _) = Create((_, _) => Json(HttpStatusCode.InternalServerError, """{"errorCode":"ERR_ACTOR_INVOKE_METHOD","message":"error invoke actor method: error from actor service: (502) nope"}"""));

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.InvokeActorMethodAsync(Customer, "Handle", [], CancellationToken.None));

        Assert.Equal("ERR_ACTOR_INVOKE_METHOD", ex.ErrorCode);
        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
    }

    [Fact]
    public async Task Invoke_ErrorResponseHeader_IsReportedAsTheAppsError()
    {
        // dapr/dapr tests/integration/suite/actors/call/errorheader.go: 200 + the app's body and headers.
        var (client, _) = Create((_, _) =>
        {
            var response = Json(HttpStatusCode.OK, """{"message":"boom"}""");
            response.Headers.TryAddWithoutValidation("X-Daprerrorresponseheader", "true");
            return response;
        });

        var response = await client.InvokeActorMethodAsync(Customer, "Handle", [], CancellationToken.None);

        Assert.True(response.IsAppError);
    }

    [Fact]
    public async Task Transient503_IsRetriedWithBackoffThenSucceeds()
    {
        var calls = 0;
        var (client, daprd) = Create((_, _) => ++calls <= 2
            ? Json(HttpStatusCode.ServiceUnavailable, """{"errorCode":"ERR_ACTOR_RUNTIME_CLOSED","message":"actor runtime is closed"}""")
            : new HttpResponseMessage(HttpStatusCode.NoContent));

        await client.UnregisterReminderAsync(Customer, "r", CancellationToken.None);

        Assert.Equal(3, daprd.Requests.Count);
    }

    [Fact]
    public async Task SidecarDown_RetriesAreLoggedOncePerInterval_NotOncePerRetry()
    {
        var log = new LineCounter();
        var handler = new RecordingHandler((_, _) => Json(HttpStatusCode.ServiceUnavailable, """{"errorCode":"ERR_ACTOR_RUNTIME_CLOSED","message":"actor runtime is closed"}"""));
        var options = new DaprOptions { HttpEndpoint = "http://127.0.0.1:3500", MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(1) };
        var client = new DaprSidecarClient(new HttpClient(handler), options, log);

        for (var i = 0; i < 5; i++)
            await Assert.ThrowsAsync<DaprApiException>(() => client.UnregisterReminderAsync(Customer, "r", CancellationToken.None));

        // 5 calls, 2 retries each: 10 retries, one line (each call used to write one per retry).
        Assert.Equal(15, handler.Requests.Count);
        Assert.Equal(1, log.Warnings);
    }

    private sealed class LineCounter : Microsoft.Extensions.Logging.ILogger<DaprSidecarClient>
    {
        public int Warnings;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == Microsoft.Extensions.Logging.LogLevel.Warning)
                Interlocked.Increment(ref Warnings);
        }
    }

    [Fact]
    public async Task NonTransient500_IsNotRetried()
    {
        var (client, daprd) = Create((_, _) => Json(HttpStatusCode.InternalServerError, """{"errorCode":"ERR_ACTOR_STATE_GET","message":"fail"}"""));

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.GetStateAsync(Customer, "k", CancellationToken.None));

        Assert.Equal("ERR_ACTOR_STATE_GET", ex.ErrorCode);
        Assert.Single(daprd.Requests);
    }

    [Fact]
    public async Task SidecarUnreachable_RetriesThenFailsNamingTheEndpoint()
    {
        var (client, daprd) = Create((_, _) => throw new HttpRequestException("Connection refused"));

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.GetStateAsync(Customer, "k", CancellationToken.None));

        Assert.Contains("http://127.0.0.1:3500", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, daprd.Requests.Count);
    }

    [Fact]
    public async Task SidecarHangsPastTheHttpTimeout_RetriesThenFailsAsADaprCall()
    {
        // HttpClient's timeout surfaces as TaskCanceledException; the publisher retries only DaprApiException, so a
        // hanging daprd must fail like a refusing one, or an accepted event would be dead-lettered as poison.
        var (client, daprd) = Create((_, _) => throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout.", new TimeoutException()));

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.PublishCloudEventAsync("pubsub", "crm-events", "{}"u8.ToArray(), new Dictionary<string, string>(), CancellationToken.None));

        Assert.Contains("did not answer", ex.Message, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:3500", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, daprd.Requests.Count);
    }

    [Fact]
    public async Task CallerCancels_IsACancellationNotADaprFailure()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var (client, _) = Create((_, _) => throw new TaskCanceledException());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetStateAsync(Customer, "k", cancelled.Token));
    }

    [Fact]
    public async Task WaitForSidecar_PollsOutboundHealthUntil2xx()
    {
        var calls = 0;
        var (client, daprd) = Create((_, _) => new HttpResponseMessage(++calls < 3 ? HttpStatusCode.InternalServerError : HttpStatusCode.NoContent));

        await client.SidecarReady.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(3, daprd.Requests.Count);
        Assert.All(daprd.Requests, r => Assert.Equal("GET http://127.0.0.1:3500/v1.0/healthz/outbound", $"{r.Method} {r.Uri}"));
    }

    [Fact]
    public async Task WaitForSidecar_NeverReady_FailsAfterTheTimeoutWithAHint()
    {
        var (client, _) = Create((_, _) => new HttpResponseMessage(HttpStatusCode.InternalServerError));

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.WaitForSidecarAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None));

        Assert.Contains("dapr run", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_CloudEvent_PostsToPubSubTopicWithCloudEventsContentTypeAndMetadata()
    {
        var (client, daprd) = Create((_, _) => new HttpResponseMessage(HttpStatusCode.NoContent));

        await client.PublishCloudEventAsync("pubsub", "crm-events", """{"specversion":"1.0","id":"e1"}"""u8.ToArray(), new Dictionary<string, string> { ["partitionKey"] = "c-1" }, CancellationToken.None);

        var request = Assert.Single(daprd.Requests);
        Assert.Equal("POST http://127.0.0.1:3500/v1.0/publish/pubsub/crm-events?metadata.partitionKey=c-1", $"{request.Method} {request.Uri}");
        Assert.Equal("application/cloudevents+json", request.ContentType);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(10_000, "10s")]
    [InlineData(86_400_000, "24h")]
    [InlineData(5_400_000, "1h30m")]
    [InlineData(1_500, "1s500ms")]
    [InlineData(33_000, "33s")]
    public void GoDuration_Format_IsWhatGoParseDurationReadsBack(long milliseconds, string expected)
    {
        var text = GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds));

        Assert.Equal(expected, text);
        Assert.True(FakeDaprd.TryParseGoDuration(text, out var back));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), back);
    }

    private static (DaprSidecarClient Client, RecordingHandler Daprd) Create(Func<HttpRequestMessage, string, HttpResponseMessage> respond)
    {
        var handler = new RecordingHandler(respond);
        var options = new DaprOptions { HttpEndpoint = "http://127.0.0.1:3500", ApiToken = "tok", MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(5) };
        return (new DaprSidecarClient(new HttpClient(handler), options, NullLogger<DaprSidecarClient>.Instance), handler);
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body) => new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    internal sealed record Recorded(string Method, string Uri, string? Token, string? ContentType, string Body);

    /// <summary>Stands in for daprd's HTTP API: records each request and answers from the test's fixture.</summary>
    internal sealed class RecordingHandler(Func<HttpRequestMessage, string, HttpResponseMessage> respond) : HttpMessageHandler
    {
        public List<Recorded> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            lock (Requests)
                Requests.Add(new Recorded(request.Method.Method, request.RequestUri!.ToString(), request.Headers.TryGetValues("dapr-api-token", out var t) ? t.Single() : null, request.Content?.Headers.ContentType?.MediaType, body));
            return respond(request, body);
        }
    }
}
