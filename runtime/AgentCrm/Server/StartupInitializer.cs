using AgentCrm.Agents;

namespace AgentCrm.Server;

/// <summary>Loads the agent registry (registering built-ins on a first start) before events are dispatched.</summary>
internal sealed class StartupInitializer(AgentRegistry registry) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken) => await registry.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Notices registry changes made by another process on the same data directory (the CLI).</summary>
internal sealed class RegistryWatcher(AgentRegistry registry, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
            await registry.ReloadIfChangedAsync(stoppingToken);
    }
}
