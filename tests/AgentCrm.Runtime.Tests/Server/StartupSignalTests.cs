namespace AgentCrm.Runtime.Tests.Server;

/// <summary>A stop asked for while the server is still starting.</summary>
public sealed class StartupSignalTests
{
    [Fact]
    public async Task SigtermDuringStartUp_ExitsZero_WithOneLine()
    {
        var dir = TempDirectory.Create();
        using var server = ServeProcess.Start(dir, []);
        // The version line is logged before the host starts; the first start then registers the built-ins and ingests
        // the bundled knowledge, seconds of work.
        await server.WaitForOutputAsync("data format");
        Assert.False(await server.IsReadyAsync(), "the server was already serving: this test stops it during its start");
        server.Signal(15);
        var exit = await server.WaitForExitAsync();
        // 0 once the command has started the host; 143 (the runtime's own SIGTERM exit) while it is still being built.
        Assert.True(exit is 0 or 143, $"exit {exit}: {server.Stderr}");
        Assert.DoesNotContain("Exception", server.Stderr + server.Stdout, StringComparison.Ordinal);
        Assert.Contains("agentcrm: stopped by SIGTERM during start-up.", server.Stderr);
    }
}
