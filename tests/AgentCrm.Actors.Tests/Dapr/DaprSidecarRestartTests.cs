using AgentCrm.Actors.Tests.Actors;
using AgentCrm.Dapr;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// A daprd that crashed and restarted forgot which actors were active here and sent no DELETE; placement may have run them
/// on another instance meanwhile. The restarted daprd reads /dapr/config again (sheet §2.1): activations cached before are
/// not trusted, so the next turn reads daprd's state instead of overwriting a newer save with its old copy.
/// </summary>
public sealed class DaprSidecarRestartTests : IAsyncLifetime
{
    private readonly TestDirectory _directory = new();
    private DaprHostUnderTest _host = null!;

    public async Task InitializeAsync() =>
        _host = await DaprHostUnderTest.StartAsync(_directory, new ManualTimeProvider(), new Probe(), await FakeDaprd.StartAsync(new ManualTimeProvider()));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task SidecarRestarts_ActorUpdatedElsewhereMeanwhile_NextTurnReadsTheNewerStateInsteadOfOverwritingIt()
    {
        var actor = ProbeActor.For("moved");
        Assert.Equal(1, await _host.InvokeAsync(actor, "increment"));
        Assert.Equal(2, await _host.InvokeAsync(actor, "increment"));

        // daprd crashes; the actor runs on another instance, which saves count 7; the restarted daprd reads /dapr/config.
        _host.Daprd.Crash();
        _host.Daprd.PutState(actor, "count", "7");
        await _host.Daprd.ConnectAppAsync(_host.Daprd.App!);

        Assert.Equal(8, await _host.InvokeAsync(actor, "increment"));
        Assert.Equal("8", System.Text.Encoding.UTF8.GetString(_host.Daprd.StateOf(actor, "count")!));
        // The stale activation was deactivated, not leaked: one activation, the fresh one.
        Assert.Equal(1, _host.Services.GetRequiredService<DaprActorRuntime>().ActiveActivations);
    }

    [Fact]
    public async Task SidecarRestarts_IdleActivationsAreDeactivatedWithoutACall()
    {
        await _host.InvokeAsync(ProbeActor.For("idle-1"), "increment");
        await _host.InvokeAsync(ProbeActor.For("idle-2"), "increment");
        Assert.Equal(2, _host.ActiveActivations);

        _host.Daprd.Crash();
        await _host.Daprd.ConnectAppAsync(_host.Daprd.App!);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_host.ActiveActivations > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Equal(0, _host.ActiveActivations);
    }
}
