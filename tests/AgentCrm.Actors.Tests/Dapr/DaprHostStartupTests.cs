using AgentCrm.Actors.Tests.Actors;

namespace AgentCrm.Actors.Tests.Dapr;

public sealed class DaprHostStartupTests
{
    [Fact]
    public async Task Invoke_BeforeDaprdIsReady_WaitsForOutboundHealthThenRuns()
    {
        using var directory = new TestDirectory();
        var time = new ManualTimeProvider();
        var daprd = await FakeDaprd.StartAsync(time);
        daprd.Ready = false;
        await using var host = await DaprHostUnderTest.StartAsync(directory, time, new Probe(), daprd);

        var call = host.InvokeAsync(ProbeActor.For("early"), "increment");
        await host.Daprd.WaitForOutboundHealthPollsAsync(3);

        Assert.False(call.IsCompleted, "the call must wait until daprd reports outbound health");
        Assert.DoesNotContain(host.Daprd.Received, r => r.Path.StartsWith("/v1.0/actors/", StringComparison.Ordinal));
        daprd.Ready = true;
        Assert.Equal(1, await call.WaitAsync(Probe.Timeout));
    }
}
