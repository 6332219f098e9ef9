using AgentCrm.Knowledge.Retrieval;

namespace AgentCrm.Knowledge;

/// <summary>
/// Notices knowledge changes made by another process on the same data directory (`agentcrm knowledge ingest` beside a
/// running server) within <see cref="Interval"/>, as the registry watcher does for agents. Once the server has taken in
/// such changes (this reload, or a write's before it), the audit log is reconciled with the catalog
/// (<see cref="KnowledgeAuditRecovery"/>) as soon as no change is in flight: what a killed ingest stored without its
/// records gets them (<c>system:recovered</c>) without a restart, and an ingest still running records its own.
/// </summary>
internal sealed partial class KnowledgeWatcher(KnowledgeService knowledge, KnowledgeAuditRecovery recovery, TimeProvider time, ILogger<KnowledgeWatcher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        // From 0: another process's changes taken in before this started are reconciled on the first tick (a spare pass is cheap).
        long reloadsSeen = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (await knowledge.ReloadIfChangedAsync(stoppingToken))
                        LogReloaded(knowledge.ListDocuments().Count);
                    var reloads = knowledge.Reloads;
                    if (reloads != reloadsSeen)
                    {
                        reloadsSeen = reloads;
                        recovery.Due();
                    }
                    await recovery.RunIfDueAsync(stoppingToken);
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
