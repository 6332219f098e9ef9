using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Retrieval;

namespace AgentCrm.Knowledge;

/// <summary>
/// On the server's start, after the bundled documents are ingested (the initializer starts before it): audit records a
/// crash lost between a knowledge change and its record are appended (<see cref="KnowledgeAudit.RecoverAsync"/>). A
/// failure does not stop the server; the next start tries again.
/// </summary>
internal sealed partial class KnowledgeAuditRecovery(KnowledgeService knowledge, KnowledgeAudit audit, ILogger<KnowledgeAuditRecovery> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (recovered, bundled) = await audit.RecoverAsync(async token =>
            {
                // What the CLI changed beside this server is in the catalog; the service may not have read it yet.
                await knowledge.ReloadIfChangedAsync(token);
                return knowledge.ListDocuments();
            }, BundledHashes, cancellationToken);
            if (recovered > 0)
                LogRecovered(recovered);
            if (bundled > 0)
                LogBundled(bundled);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRecoveryFailed(ex);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The content hash of each bundled file whose id is in <paramref name="ids"/> (those it can read), as an ingest computes it.</summary>
    private IReadOnlyDictionary<string, string> BundledHashes(IReadOnlySet<string> ids)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(BundledKnowledge.Directory))
            return hashes;
        var maxBytes = knowledge.Options.MaxDocumentBytes;
        foreach (var file in DocumentFolder.Of(BundledKnowledge.Directory).Files)
        {
            if (DocumentIds.FromFileName(file) is not { } id || !ids.Contains(id) || !DocumentTypes.TryFromPath(file, out var type))
                continue;
            try
            {
                var text = DocumentParser.Decode(File.ReadAllBytes(file), maxBytes);
                hashes[id] = DocumentParser.Hash(DocumentParser.Parse(text, type, maxBytes).NormalisedText);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling the knowledge audit records with the catalog failed; the next start tries again")]
    private partial void LogRecoveryFailed(Exception ex);
}
