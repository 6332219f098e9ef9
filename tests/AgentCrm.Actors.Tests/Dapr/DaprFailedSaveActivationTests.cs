using AgentCrm.Actors.Tests.Actors;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// A call to daprd for an actor that failed or timed out (its state save) leaves daprd holding a state this activation may
/// not know (a save it took after all, the actor run elsewhere meanwhile): the activation is dropped, and the next turn reads
/// daprd's state instead of trusting the values cached here.
/// </summary>
public sealed class DaprFailedSaveActivationTests : DaprProbeHostTests
{
    [Fact]
    public async Task StateSaveFails_NextTurnReadsDaprdsState_NotTheValuesCachedBefore()
    {
        var actor = ProbeActor.For("failed-save");
        Assert.Equal(1, await Host.InvokeAsync(actor, "increment"));

        // A turn that changes another key; daprd fails its save. Meanwhile the actor's count is 7 in daprd (saved by the
        // instance placement moved it to while this save failed).
        Host.Daprd.FailStateTransactions(1);
        await Assert.ThrowsAnyAsync<Exception>(() => Host.InvokeAsync(actor, "set", "v"));
        Host.Daprd.PutState(actor, "count", "7");

        Assert.Equal(8, await Host.InvokeAsync(actor, "increment"));
        Assert.Equal("8", System.Text.Encoding.UTF8.GetString(Host.Daprd.StateOf(actor, "count")!));
        Assert.Equal(1, Host.ActiveActivations);
        Assert.Equal(2, Host.Probe.Activations(actor));
    }

    [Fact]
    public async Task StateSaveSucceeds_ActivationIsKept()
    {
        var actor = ProbeActor.For("kept");
        await Host.InvokeAsync(actor, "increment");
        await Host.InvokeAsync(actor, "increment");

        Assert.Equal(1, Host.Probe.Activations(actor));
    }
}
