using AgentCrm.Audit;
using AgentCrm.Knowledge.Documents;
using AgentCrm.Storage;

namespace AgentCrm.Knowledge;

/// <summary>
/// Audit records for changes to the knowledge briefs cite, over HTTP or from the CLI: who ingested, replaced, re-labelled
/// or deleted which document, and its content hash. A re-upload that changed nothing is not a change and is not recorded.
/// </summary>
public sealed class KnowledgeAudit(AuditLog audit, SqliteWriter writer, TimeProvider time)
{
    public const string Ingested = "knowledge.ingested";
    public const string Deleted = "knowledge.deleted";

    public Task IngestedAsync(string actor, IReadOnlyList<IngestResult> results, CancellationToken cancellationToken = default)
    {
        var changes = results.Where(r => r.Status != IngestStatus.Unchanged).ToList();
        return changes.Count == 0 ? Task.CompletedTask : writer.WriteAsync(ctx =>
        {
            foreach (var r in changes)
            {
                audit.Append(ctx, actor, Ingested, Subject(r.DocumentId), new Dictionary<string, object?>
                {
                    ["status"] = StatusName(r.Status),
                    ["contentHash"] = r.ContentHash,
                    ["chunks"] = r.Chunks,
                    ["changed"] = r.Changed,
                }, time.GetUtcNow());
            }
        }).WaitAsync(cancellationToken);
    }

    public Task DeletedAsync(string actor, KnowledgeDocument document, CancellationToken cancellationToken = default) =>
        writer.WriteAsync(ctx => audit.Append(ctx, actor, Deleted, Subject(document.Id), new Dictionary<string, object?>
        {
            ["contentHash"] = document.ContentHash,
            ["title"] = document.Title,
        }, time.GetUtcNow())).WaitAsync(cancellationToken);

    public static string Subject(string documentId) => $"knowledge:{documentId}";

    private static string StatusName(IngestStatus status) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(status.ToString());
}
