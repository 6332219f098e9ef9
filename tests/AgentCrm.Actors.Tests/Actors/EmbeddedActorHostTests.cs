namespace AgentCrm.Actors.Tests.Actors;

public sealed class EmbeddedActorHostTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task InvokeAsync_ThousandConcurrentCallsToOneActor_RunOneAtATimeWhileOtherActorsRunInParallel()
    {
        var probe = new Probe { RendezvousTarget = 100 };
        await using var host = await TestHost.StartAsync(_directory, probe: probe);
        var hot = ProbeActor.For("hot");

        var hotCalls = Enumerable.Range(0, 1000).Select(_ => Task.Run(() => host.InvokeAsync(hot, "serial"))).ToArray();
        var otherCalls = Enumerable.Range(0, 100).Select(i => Task.Run(() => host.InvokeAsync(ProbeActor.For($"other-{i}"), "rendezvous"))).ToArray();
        await Task.WhenAll(hotCalls.Concat(otherCalls)).WaitAsync(Probe.Timeout);

        Assert.Equal(1, probe.MaxInTurn);
        Assert.Equal(1001, await host.InvokeAsync(hot, "increment"));
        // Every "rendezvous" turn waits until all 100 are inside, so this only passes if they ran at once.
        Assert.True(probe.MaxRunning >= 100, $"expected the 100 other actors to run concurrently, saw at most {probe.MaxRunning}");
        Assert.Equal(101, host.Host.ActiveActivations);
    }

    [Fact]
    public async Task InvokeAsync_CallsMadeOneAfterAnotherWithoutAwaiting_RunInCallOrder()
    {
        await using var host = await TestHost.StartAsync(_directory);
        var id = ProbeActor.For("ordered");

        var calls = new List<Task<object?>>();
        for (var i = 0; i < 200; i++)
            calls.Add(host.InvokeAsync(id, "append", i));
        await Task.WhenAll(calls).WaitAsync(Probe.Timeout);

        Assert.Equal(Enumerable.Range(0, 200), host.Probe.Appended(id));
    }

    [Fact]
    public async Task InvokeAsync_TurnThrows_ExceptionReachesCallerAndActorStaysUsable()
    {
        await using var host = await TestHost.StartAsync(_directory);
        var id = ProbeActor.For("fails");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.InvokeAsync(id, "set-then-throw", "lost"));

        Assert.Equal("The turn failed on purpose.", ex.Message);
        Assert.Equal(1, await host.InvokeAsync(id, "increment"));
    }

    [Fact]
    public async Task InvokeAsync_UnknownActorType_ThrowsNamingTheType()
    {
        await using var host = await TestHost.StartAsync(_directory);

        var ex = await Assert.ThrowsAsync<KeyNotFoundException>(() => host.Host.InvokeAsync(new ActorId("nobody", "1"), "get", null));

        Assert.Contains("'nobody'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_CallerCancelledBeforeTurn_TurnIsSkipped()
    {
        await using var host = await TestHost.StartAsync(_directory);
        var id = ProbeActor.For("cancelled");
        var blocking = host.InvokeAsync(id, "wait");
        using var cancel = new CancellationTokenSource();

        var cancelled = host.Host.InvokeAsync(id, "increment", null, cancel.Token);
        await cancel.CancelAsync();
        host.Probe.Gate.SetResult();
        await blocking;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(1, await host.InvokeAsync(id, "increment"));
    }

    [Fact]
    public async Task StopAsync_TurnsInFlightAndQueued_DrainsThemThenRejectsNewCalls()
    {
        var host = await TestHost.StartAsync(_directory);
        await using var _ = host;
        var id = ProbeActor.For("draining");
        var inFlight = host.InvokeAsync(id, "wait");
        await host.Probe.WaitUntilAsync(() => host.Probe.GateEntered == 1, "the first turn to be running");
        var queued = host.InvokeAsync(id, "increment");

        var stop = host.Host.StopAsync(CancellationToken.None);
        var rejected = host.Host.InvokeAsync(id, "get", null);
        Assert.False(stop.IsCompleted, "StopAsync must wait for the running turn");
        host.Probe.Gate.SetResult();
        await stop.WaitAsync(Probe.Timeout);

        var ex = await Assert.ThrowsAsync<ActorHostStoppingException>(() => rejected);
        Assert.Contains("stopping", ex.Message, StringComparison.Ordinal);
        Assert.True(inFlight.IsCompletedSuccessfully);
        Assert.Equal(1, await queued);
        Assert.Equal(1, host.Probe.Deactivations(id));
        Assert.Equal(0, host.Host.ActiveActivations);
        Assert.Equal(2, host.Host.TurnsRun);
        await Assert.ThrowsAsync<ActorHostStoppingException>(() => host.Host.InvokeAsync(id, "get", null));
    }
}
