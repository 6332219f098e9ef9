namespace AgentCrm.Actors.Tests.Actors;

public sealed class ActorStateTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task InvokeAsync_StateSetInTurn_NewHostOnSameDirectorySeesIt()
    {
        var id = ProbeActor.For("durable");
        await using (var first = await TestHost.StartAsync(_directory))
        {
            await first.InvokeAsync(id, "set", "renewal at risk");
            await first.InvokeAsync(id, "increment");
        }

        await using var second = await TestHost.StartAsync(_directory);

        Assert.Equal("renewal at risk", await second.InvokeAsync(id, "get"));
        Assert.Equal(2, await second.InvokeAsync(id, "increment"));
    }

    [Fact]
    public async Task InvokeAsync_TurnThrows_SavesNothingAndDropsCachedValue()
    {
        var id = ProbeActor.For("atomic");
        await using (var first = await TestHost.StartAsync(_directory))
        {
            await first.InvokeAsync(id, "set", "kept");
            await Assert.ThrowsAsync<InvalidOperationException>(() => first.InvokeAsync(id, "set-then-throw", "lost"));

            Assert.Equal("kept", await first.InvokeAsync(id, "get"));
        }

        await using var second = await TestHost.StartAsync(_directory);
        Assert.Equal("kept", await second.InvokeAsync(id, "get"));
    }

    [Fact]
    public async Task InvokeAsync_StateRemoved_NewHostSeesNoValue()
    {
        var id = ProbeActor.For("removed");
        await using (var first = await TestHost.StartAsync(_directory))
        {
            await first.InvokeAsync(id, "set", "temporary");
            await first.InvokeAsync(id, "remove");
        }

        await using var second = await TestHost.StartAsync(_directory);
        Assert.Null(await second.InvokeAsync(id, "get"));
    }
}
