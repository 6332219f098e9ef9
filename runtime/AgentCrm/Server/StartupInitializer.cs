using AgentCrm.Agents;

namespace AgentCrm.Server;

/// <summary>Loads the agent registry and registers the built-in agents, case sets and knowledge documents on a first start, before events are dispatched.</summary>
internal sealed class StartupInitializer(AgentRegistry registry, Sandbox.CaseSetStore caseSets, Knowledge.Retrieval.KnowledgeService knowledge, Sandbox.SandboxJobs jobs,
    Agents.Plugins.PluginStore plugins, Storage.SqliteDatabase database, IConfiguration configuration) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await registry.InitializeAsync(cancellationToken);
        await plugins.ForgetUnreferencedAsync(cancellationToken);
        await caseSets.SeedBuiltInsAsync(cancellationToken);
        // Knowledge:IngestBundled = false starts with an empty library (tests that do not need it).
        if (configuration.GetValue("Knowledge:IngestBundled", true))
            await Knowledge.BundledKnowledge.EnsureIngestedAsync(knowledge, cancellationToken);
        // The knowledge files of a new directory were created after the database opened: stamped now, not at the next start.
        database.StampCompanions();
        // Sandbox jobs the server was running when it stopped run again (in the background).
        await jobs.ResumeAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Notices registry changes made by another process on the same data directory (the CLI): every 2 s, and at once when a
/// turn met a version taken back that this process still runs (its turn is re-run on the reloaded set; without the early
/// reload it waited out the poll, failing and being retried meanwhile).
/// </summary>
internal sealed class RegistryWatcher(AgentRegistry registry, Briefs.BriefStore briefs, TimeProvider time) : BackgroundService
{
    private readonly SemaphoreSlim _wanted = new(0, 1);

    private void Want()
    {
        try
        {
            _wanted.Release();
        }
        catch (SemaphoreFullException)
        {
            // A reload is already wanted.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        briefs.VersionTakenBack += Want;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2), time);
        try
        {
            var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
            var wanted = _wanted.WaitAsync(stoppingToken);
            while (true)
            {
                var woke = await Task.WhenAny(tick, wanted);
                if (woke == tick)
                {
                    if (!await tick)
                        return;
                    tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                }
                else
                {
                    await wanted;
                    wanted = _wanted.WaitAsync(stoppingToken);
                }
                await registry.ReloadIfChangedAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (also when the host failed to start and is disposed): not a failure.
        }
        finally
        {
            briefs.VersionTakenBack -= Want;
        }
    }
}
