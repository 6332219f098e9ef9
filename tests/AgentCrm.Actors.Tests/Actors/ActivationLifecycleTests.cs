namespace AgentCrm.Actors.Tests.Actors;

public sealed class ActivationLifecycleTests : IDisposable
{
    private static readonly Dictionary<string, string?> IdleSettings = new()
    {
        ["Actors:IdleTimeout"] = "00:01:00",
        ["Actors:ScanInterval"] = "00:00:10",
    };

    private readonly TestDirectory _directory = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task IdleSweep_NoTurnForIdleTimeout_DeactivatesAndNextCallRestoresState()
    {
        await using var host = await TestHost.StartAsync(_directory, _time, settings: IdleSettings);
        var id = ProbeActor.For("idle");
        await host.InvokeAsync(id, "set", "remembered");

        _time.Advance(TimeSpan.FromSeconds(30));
        await host.Host.DeactivateIdleAsync();
        Assert.Equal(0, host.Probe.Deactivations(id));

        _time.Advance(TimeSpan.FromSeconds(40));
        await host.Probe.WaitUntilAsync(() => host.Probe.Deactivations(id) == 1, "the sweep to deactivate probe/idle after 70 s idle");

        Assert.Equal("remembered", await host.InvokeAsync(id, "get"));
        Assert.Equal(2, host.Probe.Activations(id));
        Assert.Equal(1, host.Host.ActiveActivations);
    }

    [Fact]
    public async Task MaxActivations_Exceeded_DeactivatesTheLeastRecentlyActiveAtOnce_AndTheirStateSurvives()
    {
        var settings = new Dictionary<string, string?>(IdleSettings) { ["Actors:MaxActivations"] = "10" };
        await using var host = await TestHost.StartAsync(_directory, _time, settings: settings, start: false);
        for (var i = 0; i < 10; i++)
        {
            await host.InvokeAsync(ProbeActor.For($"cap-{i}"), "set", $"value-{i}");
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(10, host.Host.ActiveActivations);

        // The eleventh goes past the cap: the oldest two go (down to nine), without waiting for a sweep or the idle timeout.
        await host.InvokeAsync(ProbeActor.For("cap-10"), "set", "value-10");
        await host.Probe.WaitUntilAsync(
            () => host.Probe.Deactivations(ProbeActor.For("cap-0")) == 1 && host.Probe.Deactivations(ProbeActor.For("cap-1")) == 1,
            "probe/cap-0 and probe/cap-1 deactivated after the eleventh went past a cap of ten");
        Assert.Equal(9, await ActiveActivationsSettledAsync(host, 9));
        Assert.Equal(0, host.Probe.Deactivations(ProbeActor.For("cap-2")));
        Assert.Equal(0, host.Probe.Deactivations(ProbeActor.For("cap-10")));

        Assert.Equal("value-0", await host.InvokeAsync(ProbeActor.For("cap-0"), "get"));
        Assert.Equal(2, host.Probe.Activations(ProbeActor.For("cap-0")));

        // Three more within the same second: the sweep waits out its second, then runs without another activation.
        for (var i = 11; i < 14; i++)
            await host.InvokeAsync(ProbeActor.For($"cap-{i}"), "set", $"value-{i}");
        Assert.Equal(13, host.Host.ActiveActivations);
        // The sweep is deferred from a background task, which may set its timer only after a first step of the clock.
        for (var step = 0; step < 100 && host.Probe.Deactivations(ProbeActor.For("cap-5")) == 0; step++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }
        await host.Probe.WaitUntilAsync(
            () => host.Probe.Deactivations(ProbeActor.For("cap-2")) == 1 && host.Probe.Deactivations(ProbeActor.For("cap-5")) == 1,
            "the deferred sweep to close the four least recently active after a second");
        Assert.Equal(9, await ActiveActivationsSettledAsync(host, 9));
    }

    /// <summary>The host's count once it is <paramref name="expected"/> or 5 s have passed: it counts an actor out just after the OnDeactivateAsync the probe sees.</summary>
    private static async Task<int> ActiveActivationsSettledAsync(TestHost host, int expected)
    {
        for (var waited = 0; host.Host.ActiveActivations != expected && waited < 5000; waited += 10)
            await Task.Delay(10);
        return host.Host.ActiveActivations;
    }

    [Fact]
    public async Task IdleSweep_TurnsKeepComing_DoesNotDeactivate()
    {
        await using var host = await TestHost.StartAsync(_directory, _time, settings: IdleSettings, start: false);
        var id = ProbeActor.For("busy");

        for (var i = 0; i < 5; i++)
        {
            await host.InvokeAsync(id, "increment");
            _time.Advance(TimeSpan.FromSeconds(50));
            await host.Host.DeactivateIdleAsync();
        }

        Assert.Equal(0, host.Probe.Deactivations(id));
        Assert.Equal(1, host.Probe.Activations(id));
    }

    [Fact]
    public async Task InvokeAsync_CallArrivesDuringDeactivation_WaitsForItThenRunsOnNewActivation()
    {
        await using var host = await TestHost.StartAsync(_directory, _time, start: false);
        var id = ProbeActor.For("racing");
        await host.InvokeAsync(id, "set", "survives");
        host.Probe.DeactivationGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var deactivation = host.Host.DeactivateAsync(id);
        await host.Probe.WaitUntilAsync(() => host.Probe.DeactivationsStarted(id) == 1, "OnDeactivateAsync of probe/racing to start");
        var first = host.InvokeAsync(id, "get");
        var second = host.InvokeAsync(id, "increment");

        Assert.False(first.IsCompleted, "the call must wait for the old activation to finish deactivating");
        Assert.Equal(1, host.Probe.Activations(id));
        host.Probe.DeactivationGate.SetResult();

        Assert.Equal("survives", await first.WaitAsync(Probe.Timeout));
        Assert.Equal(1, await second);
        Assert.True(await deactivation);
        Assert.Equal(2, host.Probe.Activations(id));
        Assert.Equal(1, host.Probe.MaxLive);
    }

    [Fact]
    public async Task InvokeAsync_ActivationThrows_CallFailsAndNextCallActivatesAgain()
    {
        await using var host = await TestHost.StartAsync(_directory, _time, start: false);
        var id = ProbeActor.For("flaky");
        host.Probe.FailActivations = 1;

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.InvokeAsync(id, "increment"));

        Assert.Equal("Activation failed on purpose.", ex.Message);
        Assert.Equal(1, await host.InvokeAsync(id, "increment"));
        Assert.Equal(1, host.Probe.Activations(id));
        Assert.Equal(1, host.Host.ActiveActivations);
    }
}
