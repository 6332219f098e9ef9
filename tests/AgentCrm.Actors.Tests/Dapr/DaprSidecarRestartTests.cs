using AgentCrm.Actors.Tests.Actors;
using AgentCrm.Dapr;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// A daprd that crashed and restarted forgot which actors were active here and sent no DELETE; placement may have run them
/// on another instance meanwhile. The restarted daprd reads /dapr/config again (sheet §2.1): activations cached before are
/// not trusted, so the next turn reads daprd's state instead of overwriting a newer save with its old copy.
/// </summary>
public sealed class DaprSidecarRestartTests : DaprProbeHostTests
{
    [Fact]
    public async Task SidecarRestarts_ActorUpdatedElsewhereMeanwhile_NextTurnReadsTheNewerStateInsteadOfOverwritingIt()
    {
        var actor = ProbeActor.For("moved");
        Assert.Equal(1, await Host.InvokeAsync(actor, "increment"));
        Assert.Equal(2, await Host.InvokeAsync(actor, "increment"));

        // daprd crashes; the actor runs on another instance, which saves count 7; the restarted daprd reads /dapr/config.
        Host.Daprd.Crash();
        Host.Daprd.PutState(actor, "count", "7");
        await Host.Daprd.ConnectAppAsync(Host.Daprd.App!);

        Assert.Equal(8, await Host.InvokeAsync(actor, "increment"));
        Assert.Equal("8", System.Text.Encoding.UTF8.GetString(Host.Daprd.StateOf(actor, "count")!));
        // The stale activation was deactivated, not leaked: one activation, the fresh one.
        Assert.Equal(1, Host.Services.GetRequiredService<DaprActorRuntime>().ActiveActivations);
    }

    [Fact]
    public async Task SidecarRestarts_IdleActivationsAreDeactivatedWithoutACall()
    {
        await Host.InvokeAsync(ProbeActor.For("idle-1"), "increment");
        await Host.InvokeAsync(ProbeActor.For("idle-2"), "increment");
        Assert.Equal(2, Host.ActiveActivations);

        Host.Daprd.Crash();
        await Host.Daprd.ConnectAppAsync(Host.Daprd.App!);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Host.ActiveActivations > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Equal(0, Host.ActiveActivations);
    }
}
