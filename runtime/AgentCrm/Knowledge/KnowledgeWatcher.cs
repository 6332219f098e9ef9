using AgentCrm.Knowledge.Retrieval;

namespace AgentCrm.Knowledge;

/// <summary>
/// Notices knowledge changes made by another process on the same data directory (`agentcrm knowledge ingest` beside a
/// running server) within <see cref="Interval"/>, as the registry watcher does for agents.
/// </summary>
internal sealed partial class KnowledgeWatcher(KnowledgeService knowledge, TimeProvider time, ILogger<KnowledgeWatcher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (await knowledge.ReloadIfChangedAsync(stoppingToken))
                        LogReloaded(knowledge.ListDocuments().Count);
                }
                // Anything but the stop (a cancellation from elsewhere too): an exception leaving ExecuteAsync stops the host.
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // A busy or briefly unreadable file must not stop the server: the next tick tries again.
                    LogReloadFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: not a failure.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Knowledge changed by another process on this data directory; reloaded {Documents} documents")]
    private partial void LogReloaded(int documents);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading knowledge changed by another process failed; retrying")]
    private partial void LogReloadFailed(Exception ex);
}
