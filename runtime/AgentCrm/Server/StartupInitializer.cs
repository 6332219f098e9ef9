using AgentCrm.Agents;

namespace AgentCrm.Server;

/// <summary>Loads the agent registry and registers the built-in agents, case sets and knowledge documents on a first start, before events are dispatched.</summary>
internal sealed class StartupInitializer(AgentRegistry registry, Sandbox.CaseSetStore caseSets, Knowledge.Retrieval.KnowledgeService knowledge, Sandbox.SandboxJobs jobs,
    Agents.Plugins.PluginStore plugins, IConfiguration configuration) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await registry.InitializeAsync(cancellationToken);
        await plugins.ForgetUnreferencedAsync(cancellationToken);
        await caseSets.SeedBuiltInsAsync(cancellationToken);
        // Knowledge:IngestBundled = false starts with an empty library (tests that do not need it).
        if (configuration.GetValue("Knowledge:IngestBundled", true))
            await Knowledge.BundledKnowledge.EnsureIngestedAsync(knowledge, cancellationToken);
        // Sandbox jobs the server was running when it stopped run again (in the background).
        await jobs.ResumeAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Notices registry changes made by another process on the same data directory (the CLI).</summary>
internal sealed class RegistryWatcher(AgentRegistry registry, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await registry.ReloadIfChangedAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (also when the host failed to start and is disposed): not a failure.
        }
    }
}
