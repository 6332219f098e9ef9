using System.Diagnostics;
using System.Net;
using AgentCrm.Dapr;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// A daprd that hangs holds a call at most Dapr:RequestTimeout, retries included (HttpClient's 100 s per attempt, five
/// attempts, held a client ~500 s); an actor method call that timed out is not sent again, since its turn may still run.
/// </summary>
public sealed class DaprRequestTimeoutTests
{
    private static readonly ActorId Customer = new("CustomerActor", "c-1");

    [Fact]
    public async Task SidecarHangs_ActorMethodCall_FailsAfterTheRequestTimeoutWithoutBeingSentAgain()
    {
        var (client, daprd) = Create();

        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.InvokeActorMethodAsync(Customer, "Apply", "{}"u8.ToArray(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
        Assert.Contains("Dapr:RequestTimeout", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, daprd.Requests);
    }

    [Fact]
    public async Task SidecarHangs_StateRead_IsBoundedByTheRequestTimeoutRetriesIncluded()
    {
        var (client, _) = Create();

        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.GetStateAsync(Customer, "k", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
        Assert.Contains("did not answer get actor state within 0.3 s (Dapr:RequestTimeout)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    [InlineData(HttpStatusCode.RequestTimeout)]
    public async Task ActorMethodCall_TimedOutInDaprd_IsNotSentAgain_WhileAStateReadIs(HttpStatusCode status)
    {
        // daprd answers at once here: a budget of seconds, so all three attempts of the read fit in it however busy the machine
        // (0.3 s left room for two in CI).
        var (client, daprd) = Create(status, TimeSpan.FromSeconds(10));

        await Assert.ThrowsAsync<DaprApiException>(() => client.InvokeActorMethodAsync(Customer, "Apply", "{}"u8.ToArray(), CancellationToken.None));
        Assert.Equal(1, daprd.Requests);
        await Assert.ThrowsAsync<DaprApiException>(() => client.GetStateAsync(Customer, "k", CancellationToken.None));
        Assert.Equal(1 + 3, daprd.Requests);
    }

    [Fact]
    public async Task SidecarHangs_WaitForSidecar_FailsAfterItsTimeout()
    {
        var (client, _) = Create();

        var ex = await Assert.ThrowsAsync<DaprApiException>(() => client.WaitForSidecarAsync(TimeSpan.FromMilliseconds(500), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.Contains("no answer", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RequestTimeout_OutOfRange_IsRefusedNamingTheKey()
    {
        var result = new DaprOptionsValidator().Validate(null, new DaprOptions { HttpEndpoint = "http://127.0.0.1:3500", RequestTimeout = TimeSpan.Zero });

        Assert.Contains(result.Failures!, f => f.StartsWith("Dapr:RequestTimeout", StringComparison.Ordinal));
    }

    /// <summary>A daprd that never answers (or answers <paramref name="status"/> at once); 0.3 s request timeout unless given, two retries.</summary>
    private static (DaprSidecarClient Client, HangingHandler Daprd) Create(HttpStatusCode? status = null, TimeSpan? requestTimeout = null)
    {
        var handler = new HangingHandler(status);
        var options = new DaprOptions { HttpEndpoint = "http://127.0.0.1:3500", MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(5), RequestTimeout = requestTimeout ?? TimeSpan.FromMilliseconds(300) };
        return (new DaprSidecarClient(new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }, options, NullLogger<DaprSidecarClient>.Instance), handler);
    }

    internal sealed class HangingHandler(HttpStatusCode? status) : HttpMessageHandler
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            if (status is { } s)
                return new HttpResponseMessage(s);
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new UnreachableException();
        }
    }
}
