using AgentCrm.Agents;
using AgentCrm.Storage;

namespace AgentCrm.Server;

/// <summary>Creates the server's tables and loads the agent registry before events are dispatched.</summary>
internal sealed class StartupInitializer(SqliteDatabase database, AgentRegistry registry) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using (var connection = database.Open())
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = ServerSchema.Sql;
            cmd.ExecuteNonQuery();
        }
        await registry.InitializeAsync(cancellationToken);
    }

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
