using System.Net;
using System.Net.Sockets;
using AgentCrm.Actors.Tests.Actors;
using AgentCrm.Dapr;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// An actor method call is sent to daprd again only where it cannot run twice: a method its type declares repeatable (a
/// read, a call the actor dedupes), or a call that provably never reached daprd. A connection that drops after the request
/// went out may follow a turn that ran: sending it again ran the turn twice.
/// </summary>
public sealed class DaprMethodRetryTests() : DaprProbeHostTests(new Dictionary<string, string?> { ["Dapr:RetryBaseDelay"] = "00:00:00.010" })
{
    [Fact]
    public async Task ConnectionDropsAfterTheTurnRan_MethodNotRepeatable_IsNotSentAgain_TheTurnRanOnce()
    {
        var actor = ProbeActor.For("dropped");
        Assert.Equal(1, await Host.InvokeAsync(actor, "increment"));

        Host.Daprd.DropMethodCalls(1);
        var ex = await Assert.ThrowsAsync<DaprApiException>(() => Host.InvokeAsync(actor, "increment"));

        Assert.Contains("not sent again", ex.Message, StringComparison.Ordinal);
        // The turn ran once (count 2), not once per attempt.
        Assert.Equal("2", System.Text.Encoding.UTF8.GetString(Host.Daprd.StateOf(actor, "count")!));
        Assert.Equal(3, await Host.InvokeAsync(actor, "increment"));
    }

    [Fact]
    public async Task ConnectionDropsAfterTheTurnRan_RepeatableMethod_IsSentAgainAndAnswers()
    {
        var actor = ProbeActor.For("read");
        await Host.InvokeAsync(actor, "set", "v1");

        Host.Daprd.DropMethodCalls(1);

        Assert.Equal("v1", await Host.InvokeAsync(actor, "get"));
    }

    [Fact]
    public async Task SidecarRefusesTheConnection_MethodNotRepeatable_IsSentAgain()
    {
        // A port nothing listens on: the connection is refused before anything is sent.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var counting = new CountingHandler(new SocketsHttpHandler());
        var options = new DaprOptions { HttpEndpoint = $"http://127.0.0.1:{port}", MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(5) };
        var client = new DaprSidecarClient(new HttpClient(counting), options, NullLogger<DaprSidecarClient>.Instance);

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.InvokeActorMethodAsync(ProbeActor.For("x"), "increment", [], CancellationToken.None));

        Assert.Contains("could not be reached", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, counting.Sends);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, false, 1)]
    [InlineData(HttpStatusCode.BadGateway, false, 1)]
    [InlineData(HttpStatusCode.TooManyRequests, false, 3)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true, 3)]
    [InlineData(HttpStatusCode.BadGateway, true, 3)]
    public async Task DaprdAnswers_OnlyARefusalBeforeRunning_IsSentAgainForAMethodNotRepeatable(HttpStatusCode status, bool repeatable, int sends)
    {
        var counting = new CountingHandler(new AnswerHandler(status));
        var options = new DaprOptions { HttpEndpoint = "http://127.0.0.1:3500", MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(5) };
        var client = new DaprSidecarClient(new HttpClient(counting), options, NullLogger<DaprSidecarClient>.Instance);

        await Assert.ThrowsAsync<DaprApiException>(() => client.InvokeActorMethodAsync(ProbeActor.For("x"), "increment", [], CancellationToken.None, repeatable));

        Assert.Equal(sends, counting.Sends);
    }

    /// <summary>
    /// daprd found no host for the actor (placement disseminating or rebalancing, sheet §3.1: 404 ERR_ACTOR_NO_ADDRESS) or is
    /// not connected to placement yet (400 ERR_ACTOR_NO_PLACEMENT): the method never ran, so it is sent again, within
    /// Dapr:RequestTimeout, whatever the method. Any other 4xx is not (qa45c L2).
    /// </summary>
    [Theory]
    [InlineData(HttpStatusCode.NotFound, "ERR_ACTOR_NO_ADDRESS", 3)]
    [InlineData(HttpStatusCode.BadRequest, "ERR_ACTOR_NO_PLACEMENT", 3)]
    [InlineData(HttpStatusCode.BadRequest, "ERR_ACTOR_NO_APP_CHANNEL", 1)]
    [InlineData(HttpStatusCode.NotFound, "ERR_ACTOR_REMINDER_NOT_FOUND", 1)]
    [InlineData(HttpStatusCode.BadRequest, null, 1)]
    public async Task DaprdFoundNoHostForTheActor_MethodNotRepeatable_IsSentAgain(HttpStatusCode status, string? errorCode, int sends)
    {
        var body = errorCode is null ? "" : $$"""{"errorCode":"{{errorCode}}","message":"did not find address for actor ProbeActor/x"}""";
        var counting = new CountingHandler(new AnswerHandler(status, body));
        var options = new DaprOptions { HttpEndpoint = "http://127.0.0.1:3500", MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(5) };
        var client = new DaprSidecarClient(new HttpClient(counting), options, NullLogger<DaprSidecarClient>.Instance);

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.InvokeActorMethodAsync(ProbeActor.For("x"), "increment", [], CancellationToken.None));

        Assert.Equal(sends, counting.Sends);
        Assert.Equal(errorCode, ex.ErrorCode);
    }

    [Fact]
    public async Task DaprdFindsAHostOnTheSecondTry_TheCallAnswers()
    {
        var answers = new Queue<HttpResponseMessage>([
            new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("""{"errorCode":"ERR_ACTOR_NO_ADDRESS","message":"did not find address for actor ProbeActor/x"}""") },
            new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("7") },
        ]);
        var options = new DaprOptions { HttpEndpoint = "http://127.0.0.1:3500", MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(5) };
        var client = new DaprSidecarClient(new HttpClient(new QueueHandler(answers)), options, NullLogger<DaprSidecarClient>.Instance);

        var response = await client.InvokeActorMethodAsync(ProbeActor.For("x"), "increment", [], CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("7", System.Text.Encoding.UTF8.GetString(response.Body));
    }

    private sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private int _sends;

        public int Sends => Volatile.Read(ref _sends);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _sends);
            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class AnswerHandler(HttpStatusCode status, string body = "") : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body) });
    }

    private sealed class QueueHandler(Queue<HttpResponseMessage> answers) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answers.Dequeue());
    }
}
