using AgentCrm.Actors.Tests.Actors;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// A call to daprd for an actor that failed or timed out (its state save) leaves daprd holding a state this activation may
/// not know (a save it took after all, the actor run elsewhere meanwhile): the activation is dropped, and the next turn reads
/// daprd's state instead of trusting the values cached here.
/// </summary>
public sealed class DaprFailedSaveActivationTests : IAsyncLifetime
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
    public async Task StateSaveFails_NextTurnReadsDaprdsState_NotTheValuesCachedBefore()
    {
        var actor = ProbeActor.For("failed-save");
        Assert.Equal(1, await _host.InvokeAsync(actor, "increment"));

        // A turn that changes another key; daprd fails its save. Meanwhile the actor's count is 7 in daprd (saved by the
        // instance placement moved it to while this save failed).
        _host.Daprd.FailStateTransactions(1);
        await Assert.ThrowsAnyAsync<Exception>(() => _host.InvokeAsync(actor, "set", "v"));
        _host.Daprd.PutState(actor, "count", "7");

        Assert.Equal(8, await _host.InvokeAsync(actor, "increment"));
        Assert.Equal("8", System.Text.Encoding.UTF8.GetString(_host.Daprd.StateOf(actor, "count")!));
        Assert.Equal(1, _host.ActiveActivations);
        Assert.Equal(2, _host.Probe.Activations(actor));
    }

    [Fact]
    public async Task StateSaveSucceeds_ActivationIsKept()
    {
        var actor = ProbeActor.For("kept");
        await _host.InvokeAsync(actor, "increment");
        await _host.InvokeAsync(actor, "increment");

        Assert.Equal(1, _host.Probe.Activations(actor));
    }
}
