using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using AgentCrm.Actors.Tests.Dapr;
using AgentCrm.Dapr;
using AgentCrm.Runtime.Tests.Intake;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Dapr;

/// <summary>
/// daprd failing inside an actor's turn (its state store down when the actor activates) comes back to the caller wrapped in
/// the turn's error: the HTTP API answers it as the documented 503 with Retry-After, like daprd failing the call itself, and
/// logs one line; the pub/sub route still answers 500 so daprd redelivers.
/// </summary>
public sealed class DaprSidecarFailureTests
{
    private const string AppToken = "app-secret";

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task GetCustomer_DaprdStateStoreFailsInTheActorsTurn_Is503WithRetryAfterAndOneLogLine(int daprdStatus)
    {
        var daprd = await FakeDaprd.StartAsync(appToken: AppToken);
        await using var _d = daprd;
        var logs = new CapturedLogs();
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Runtime:Host"] = "Dapr",
            ["Dapr:HttpEndpoint"] = daprd.Endpoint.ToString(),
            ["Dapr:AppApiToken"] = AppToken,
            ["Dapr:MaxRetries"] = "1",
            ["Dapr:RetryBaseDelay"] = "00:00:00.010",
        }, configure: s => s.AddSingleton(logs.Provider()));
        await daprd.ConnectAppAsync(app.Client.BaseAddress!, subscribe: true);
        var customer = new ActorId("CustomerActor", "acme");
        await app.PostEventsAsync([Ev.Make("acme", "login", DateTimeOffset.UtcNow.AddHours(-1))]);
        await app.WaitForProcessingAsync();
        await daprd.WaitForDeliveriesAsync();
        var published = daprd.Published.Single();
        // Deactivated (idle): the next call activates it afresh, and its state read fails in daprd.
        Assert.True(await daprd.DeactivateAsync(customer));
        daprd.FailStateReads(1000, daprdStatus);

        using var response = await app.Client.GetAsync("/v1/customers/acme");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("5", response.Headers.RetryAfter?.ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("Dapr sidecar", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("ERR_ACTOR_STATE_GET", problem.ToJsonString(), StringComparison.Ordinal);
        // One line saying what daprd answered; no stack trace of the wrapped failure from the exception handler.
        var line = Assert.Single(logs.Entries, e => e.Message.StartsWith("GET /v1/customers/acme:", StringComparison.Ordinal));
        Assert.Contains($"daprd answered get actor state with {daprdStatus} ERR_ACTOR_STATE_GET", line.Message, StringComparison.Ordinal);
        Assert.Null(line.Exception);
        Assert.DoesNotContain(logs.Entries, e => e.Exception is DaprActorMethodException or DaprApiException);

        // Delivered by pub/sub meanwhile: still a 500, so daprd redelivers (and dead-letters after its retries).
        using var delivery = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/dapr/events")
        {
            Content = new StringContent(published.ToJsonString(), Encoding.UTF8, "application/cloudevents+json"),
            Headers = { { "dapr-api-token", AppToken } },
        });
        Assert.Equal(HttpStatusCode.InternalServerError, delivery.StatusCode);

        // daprd recovers: the customer answers again.
        daprd.FailStateReads(0);
        using var recovered = await app.Client.GetAsync("/v1/customers/acme");
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    /// <summary>
    /// daprd's answers while placement has no host for the actor (dissemination, rebalancing), while it is not yet connected
    /// to placement (the sidecar starting), or while the actor moved off it mid-turn: the call did not run, and a later one
    /// will. 503 with Retry-After, not 502 "configuration needs attention" (sheet §3.1, §5; qa45c L2).
    /// </summary>
    [Theory]
    [InlineData(HttpStatusCode.NotFound, "ERR_ACTOR_NO_ADDRESS", true)]
    [InlineData(HttpStatusCode.BadRequest, "ERR_ACTOR_NO_PLACEMENT", true)]
    [InlineData(HttpStatusCode.BadRequest, "ERR_ACTOR_INSTANCE_MISSING", true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, "ERR_ACTOR_RUNTIME_CLOSED", true)]
    [InlineData(HttpStatusCode.BadRequest, "ERR_ACTOR_NO_APP_CHANNEL", false)]
    [InlineData(HttpStatusCode.Forbidden, "ERR_ACTOR_REMINDER_NON_HOSTED", false)]
    [InlineData(HttpStatusCode.BadRequest, "ERR_BAD_REQUEST", false)]
    public void Classify_DaprdAnswer_TransientOnlyWhereALaterCallSucceeds(HttpStatusCode status, string errorCode, bool transient)
    {
        var ex = new DaprApiException("invoke actor method", status, errorCode, "did not find address for actor CustomerActor/acme");

        Assert.Equal(transient, AgentCrm.Server.DependencyFailureHandler.Classify(ex)?.Transient);
        // Also when it failed a turn's own call to daprd, wrapped in the turn's error.
        Assert.Equal(transient, AgentCrm.Server.DependencyFailureHandler.Classify(new DaprActorMethodException(typeof(DaprApiException).FullName!, ex.Message, ex))?.Transient);
    }

    [Fact]
    public void ReadAppError_FromABuildWithoutTheFailureProperty_StillASidecarFailure()
    {
        var body = Encoding.UTF8.GetBytes("""{"exceptionType":"AgentCrm.Dapr.DaprApiException","message":"daprd answered get actor state with 500 ERR_ACTOR_STATE_GET: down"}""");

        var error = DaprActorHost.ReadAppError(body);

        Assert.NotNull(error.SidecarFailure);
        Assert.True(AgentCrm.Server.DependencyFailureHandler.Classify(error)?.Transient);
    }

    [Fact]
    public void ReadAppError_ActorBug_StaysA500()
    {
        var error = DaprActorHost.ReadAppError(Encoding.UTF8.GetBytes("""{"exceptionType":"System.InvalidOperationException","message":"oops"}"""));

        Assert.Null(error.SidecarFailure);
        Assert.Null(AgentCrm.Server.DependencyFailureHandler.Classify(error));
    }
}
