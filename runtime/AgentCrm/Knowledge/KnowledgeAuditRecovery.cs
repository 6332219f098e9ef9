using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Retrieval;

namespace AgentCrm.Knowledge;

/// <summary>
/// Appends the knowledge audit records a change lost between its store and its record (<see cref="KnowledgeAudit.TryRecoverAsync"/>:
/// a crash, a killed `agentcrm knowledge ingest`). It runs on the server's start, after the bundled documents are ingested
/// (the initializer starts before it); when the server has loaded knowledge another process changed
/// (<see cref="KnowledgeWatcher"/>); and at the start of a CLI ingest. A change in flight (in this process or another) holds
/// the recovery off: it is left due and tried again on the watcher's next tick. A failure (the audit log's disk full) does
/// not stop the server: it is left due too, tried on every tick until it succeeds, and logged once until then.
/// </summary>
internal sealed partial class KnowledgeAuditRecovery(KnowledgeService knowledge, KnowledgeAudit audit, ILogger<KnowledgeAuditRecovery> logger) : IHostedService
{
    // 1 while a recovery is owed: from the start, and from another process's change, until one has run.
    private int _due = 1;

    // Whether the last recovery failed: a failure is logged once until one succeeds (the watcher retries every 2 s).
    private bool _failing;

    public Task StartAsync(CancellationToken cancellationToken) => RunIfDueAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Another process changed the knowledge: a recovery is owed once its changes are recorded or it has ended.</summary>
    public void Due() => Volatile.Write(ref _due, 1);

    /// <summary>Runs a recovery when one is owed; a change in flight leaves it owed.</summary>
    public async Task RunIfDueAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _due, 0) == 0)
            return;
        try
        {
            if (await TryRunAsync(cancellationToken) is null)
            {
                Due();
                LogHeldOff();
            }
            else
                _failing = false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Still owed: storage that failed it (a full disk) may be back on the next tick.
            Due();
            if (!_failing)
                LogRecoveryFailed(ex);
            _failing = true;
        }
    }

    /// <summary>Reconciles the audit log with the catalog, logging what it appended; null (nothing done) while a change is in flight.</summary>
    public async Task<(int Recovered, int Bundled)?> TryRunAsync(CancellationToken cancellationToken)
    {
        var appended = await audit.TryRecoverAsync(async token =>
        {
            // What another process changed is in the catalog; the service may not have read it yet.
            await knowledge.ReloadIfChangedAsync(token);
            return knowledge.ListDocuments();
        }, BundledHashes, cancellationToken);
        if (appended is var (recovered, bundled))
        {
            if (recovered > 0)
                LogRecovered(recovered);
            if (bundled > 0)
                LogBundled(bundled);
        }
        return appended;
    }

    /// <summary>The content hash of each bundled file whose id is in <paramref name="ids"/> (those it can read), as an ingest computes it.</summary>
    private IReadOnlyDictionary<string, string> BundledHashes(IReadOnlySet<string> ids)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(BundledKnowledge.Directory))
            return hashes;
        foreach (var file in DocumentFolder.Of(BundledKnowledge.Directory).Files)
        {
            if (DocumentIds.FromFileName(file) is not { } id || !ids.Contains(id) || !DocumentTypes.TryFromPath(file, out var type))
                continue;
            try
            {
                var text = DocumentParser.Decode(File.ReadAllBytes(file), BundledKnowledge.MaxBytes);
                hashes[id] = DocumentParser.Hash(DocumentParser.Parse(text, type, BundledKnowledge.MaxBytes).NormalisedText);
            }
            catch (Exception ex) when (ex is KnowledgeInputException or IOException)
            {
                // Not readable as a document: it cannot be what the catalog holds.
            }
        }
        return hashes;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Appended {Records} knowledge audit records an interrupted change had not written (actor system:recovered)")]
    private partial void LogRecovered(int records);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recorded {Documents} bundled knowledge documents in the audit log (actor system:bundled)")]
    private partial void LogBundled(int documents);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A knowledge change is in flight: its audit records are its own to write; reconciling the knowledge audit records waits for the next check")]
    private partial void LogHeldOff();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling the knowledge audit records with the catalog failed; it is tried again every 2 s until it succeeds (not logged again meanwhile)")]
    private partial void LogRecoveryFailed(Exception ex);
}
