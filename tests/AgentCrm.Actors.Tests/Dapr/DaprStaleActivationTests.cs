using System.Text;
using AgentCrm.Actors.Tests.Actors;
using AgentCrm.Dapr;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// Two instances of one app id, each with its sidecar, over one actor state store. daprd drops an actor from its table before
/// it sends the app DELETE, and does not resend a DELETE that failed (dapr/dapr pkg/actors/targets/app/app.go, Deactivate):
/// the app then still holds the actor after placement moved it. When the actor comes back, that cached copy must not run a
/// turn on its old state and save it over the turns the other instance saved meanwhile.
/// </summary>
public sealed class DaprStaleActivationTests : IAsyncLifetime
{
    private readonly TestDirectory _directoryA = new();
    private readonly TestDirectory _directoryB = new();
    private DaprHostUnderTest _a = null!;
    private DaprHostUnderTest _b = null!;

    public async Task InitializeAsync()
    {
        var time = new ManualTimeProvider();
        var daprdA = await FakeDaprd.StartAsync(time);
        _a = await DaprHostUnderTest.StartAsync(_directoryA, time, new Probe(), daprdA);
        _b = await DaprHostUnderTest.StartAsync(_directoryB, time, new Probe(), await FakeDaprd.StartAsync(time, shareStateWith: daprdA));
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _directoryA.Dispose();
        _directoryB.Dispose();
    }

    [Fact]
    public async Task ActorMovedAwayWithoutItsDelete_AndBack_NextTurnBuildsOnTheOtherInstancesTurns_NotOverThem()
    {
        var actor = ProbeActor.For("moved-twice");
        Assert.Equal(1, await _a.InvokeAsync(actor, "increment"));
        Assert.Equal(2, await _a.InvokeAsync(actor, "increment"));

        // Placement moves it to B; A's sidecar drops it, but its DELETE never reaches app A, which keeps count 2 in memory.
        Assert.True(_a.Daprd.DeactivateWithoutDelete(actor));
        Assert.Equal(3, await _b.InvokeAsync(actor, "increment"));
        Assert.Equal(4, await _b.InvokeAsync(actor, "increment"));

        // Moved back to A (B's DELETE arrives).
        Assert.True(await _b.Daprd.DeactivateAsync(actor));
        Assert.Equal(5, await _a.InvokeAsync(actor, "increment"));

        Assert.Equal("5", Encoding.UTF8.GetString(_a.Daprd.StateOf(actor, "count")!));
        // A dropped its stale copy and activated the actor afresh: one activation live there, two in all.
        Assert.Equal(2, _a.Probe.Activations(actor));
        Assert.Equal(1, _a.ActiveActivations);
    }

    [Fact]
    public async Task ActorNotSavedElsewhere_CachedActivationIsKept()
    {
        var actor = ProbeActor.For("stays");
        await _a.InvokeAsync(actor, "increment");
        await _a.InvokeAsync(actor, "set", "v");
        Assert.Equal("v", await _a.InvokeAsync(actor, "get"));
        Assert.Equal(2, await _a.InvokeAsync(actor, "increment"));

        Assert.Equal(1, _a.Probe.Activations(actor));
        Assert.NotNull(_a.Daprd.StateOf(actor, DaprActorRuntime.GenerationKey));
    }
}
