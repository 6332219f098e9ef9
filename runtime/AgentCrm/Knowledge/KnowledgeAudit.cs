using System.Text.Json;
using AgentCrm.Audit;
using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Options;
using AgentCrm.Storage;
using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge;

/// <summary>
/// Audit records for changes to the knowledge briefs cite, over HTTP or from the CLI: who ingested, replaced, re-labelled
/// or deleted which document, and its content hash. A re-upload that changed nothing is not a change and is not recorded.
/// The knowledge store commits before its record is appended (they are different stores), so a crash in between loses
/// the record: <see cref="TryRecoverAsync"/> appends what the catalog shows and the log lacks. A change holds
/// <see cref="ChangingAsync"/> from before it stores until its record is appended, and recovery does not run meanwhile
/// (<see cref="KnowledgeAuditLock"/>), so a change in flight is recorded by its caller, never as recovered.
/// </summary>
public sealed class KnowledgeAudit(AuditLog audit, SqliteWriter writer, TimeProvider time, IOptions<KnowledgeOptions> options)
{
    public const string Ingested = "knowledge.ingested";
    public const string Deleted = "knowledge.deleted";
    public const string RecoveredActor = "system:recovered";
    public const string BundledActor = "system:bundled";

    private const string LatestSql = $"SELECT seq, action, data FROM audit WHERE subject = $s AND action IN ('{Ingested}', '{Deleted}') ORDER BY seq DESC LIMIT 1";

    // Every knowledge subject's latest change, over the subject index ("knowledge;" is the first string after the prefix).
    private const string AllLatestSql = $"""
        SELECT a.seq, a.subject, a.action, a.data FROM audit a WHERE a.seq IN (
            SELECT MAX(seq) FROM audit WHERE subject >= 'knowledge:' AND subject < 'knowledge;' AND action IN ('{Ingested}', '{Deleted}') GROUP BY subject)
        """;

    /// <summary>
    /// Taken by a knowledge change before it stores, disposed once its records are appended (<see cref="IngestedAsync"/>,
    /// <see cref="DeletedAsync"/>): <see cref="TryRecoverAsync"/>, in this process or another, does not run meanwhile.
    /// Waits while a recovery runs.
    /// </summary>
    public Task<IDisposable> ChangingAsync(CancellationToken cancellationToken = default) =>
        KnowledgeAuditLock.ChangeAsync(options.Value.DataDirectory, cancellationToken);

    public Task IngestedAsync(string actor, IReadOnlyList<IngestResult> results, CancellationToken cancellationToken = default)
    {
        var changes = results.Where(r => r.Status != IngestStatus.Unchanged).ToList();
        return changes.Count == 0 ? Task.CompletedTask : writer.WriteAsync(ctx =>
        {
            foreach (var r in changes)
            {
                // A start that ran while this change was between the store and here has already recorded it as recovered.
                if (r.Status != IngestStatus.MetadataUpdated && Latest(ctx, Subject(r.DocumentId)) is { Action: Ingested, Recovered: true } latest && latest.ContentHash == r.ContentHash)
                    continue;
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
        writer.WriteAsync(ctx =>
        {
            if (Latest(ctx, Subject(document.Id)) is { Action: Deleted, Recovered: true } latest && latest.ContentHash == document.ContentHash)
                return;
            audit.Append(ctx, actor, Deleted, Subject(document.Id), new Dictionary<string, object?>
            {
                ["contentHash"] = document.ContentHash,
                ["title"] = document.Title,
            }, time.GetUtcNow());
        }).WaitAsync(cancellationToken);

    /// <summary>
    /// Reconciles the log with the catalog, in one pass: a document whose latest record is missing, a deletion, or of
    /// other content gets a <c>knowledge.ingested</c> record; a latest <c>knowledge.ingested</c> of a document no longer
    /// in the catalog gets a <c>knowledge.deleted</c>; both by <see cref="RecoveredActor"/> with <c>"recovered": true</c>.
    /// A document never recorded whose content is its bundled file's (<paramref name="bundledHashes"/>, asked only then) is
    /// the first start's bundled ingest, recorded by <see cref="BundledActor"/>. A second run appends nothing.
    /// It runs only while no change holds <see cref="ChangingAsync"/> (whose documents may be stored and not yet recorded),
    /// and returns null at once, appending nothing, while one does. <paramref name="documents"/> is read after the log's head
    /// is noted, and a subject recorded since is left alone: its record came from a change made meanwhile (by a build that
    /// takes no lock), which may be newer than what <paramref name="documents"/> shows.
    /// A lost metadata-only change is not found: its record's content hash is that of the record before it.
    /// </summary>
    /// <returns>The records appended, recovered and bundled; null when a change was in flight.</returns>
    public async Task<(int Recovered, int Bundled)?> TryRecoverAsync(Func<CancellationToken, Task<IReadOnlyList<KnowledgeDocument>>> documents,
        Func<IReadOnlySet<string>, IReadOnlyDictionary<string, string>> bundledHashes, CancellationToken cancellationToken = default)
    {
        using var recovering = KnowledgeAuditLock.TryReconcile(options.Value.DataDirectory);
        if (recovering is null)
            return null;
        var (head, seen) = await writer.WriteAsync(ctx => (Head(ctx), AllLatest(ctx))).WaitAsync(cancellationToken);
        var catalog = await documents(cancellationToken);
        var neverRecorded = catalog.Where(d => !seen.ContainsKey(Subject(d.Id))).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var bundled = neverRecorded.Count == 0 ? new Dictionary<string, string>() : bundledHashes(neverRecorded);
        return await writer.WriteAsync(ctx =>
        {
            var now = time.GetUtcNow();
            var latest = AllLatest(ctx);
            var (recovered, fromBundles) = (0, 0);
            foreach (var document in catalog)
            {
                var subject = Subject(document.Id);
                var record = latest.GetValueOrDefault(subject);
                if (record is { Seq: var seq } && seq > head)
                    continue;
                if (record is { Action: Ingested } && record.ContentHash == document.ContentHash)
                    continue;
                var fromBundle = record is null && bundled.GetValueOrDefault(document.Id) == document.ContentHash;
                audit.Append(ctx, fromBundle ? BundledActor : RecoveredActor, Ingested, subject, new Dictionary<string, object?>
                {
                    ["status"] = record is { Action: Ingested } ? StatusName(IngestStatus.Replaced) : StatusName(IngestStatus.Created),
                    ["contentHash"] = document.ContentHash,
                    ["chunks"] = document.Chunks,
                    ["changed"] = null,
                    [fromBundle ? "bundled" : "recovered"] = true,
                    ["ingestedAt"] = document.IngestedAt,
                }, now);
                if (fromBundle)
                    fromBundles++;
                else
                    recovered++;
            }

            var present = catalog.Select(d => Subject(d.Id)).ToHashSet(StringComparer.Ordinal);
            foreach (var (subject, record) in latest.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                if (record.Action != Ingested || record.Seq > head || present.Contains(subject))
                    continue;
                audit.Append(ctx, RecoveredActor, Deleted, subject, new Dictionary<string, object?>
                {
                    ["contentHash"] = record.ContentHash,
                    ["title"] = null,
                    ["recovered"] = true,
                }, now);
                recovered++;
            }
            return (recovered, fromBundles);
        }).WaitAsync(cancellationToken);
    }

    public static string Subject(string documentId) => $"knowledge:{documentId}";

    private static string StatusName(IngestStatus status) => JsonNamingPolicy.CamelCase.ConvertName(status.ToString());

    private sealed record LatestRecord(long Seq, string Action, string? ContentHash, bool Recovered);

    private static long Head(WriteContext ctx) => ctx.Command("SELECT COALESCE(MAX(seq), 0) FROM audit").ExecuteScalar() is long seq ? seq : 0;

    private static LatestRecord? Latest(WriteContext ctx, string subject)
    {
        var command = ctx.Command(LatestSql, "$s");
        command.Parameters["$s"].Value = subject;
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader.GetInt64(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    private static Dictionary<string, LatestRecord> AllLatest(WriteContext ctx)
    {
        var latest = new Dictionary<string, LatestRecord>(StringComparer.Ordinal);
        using var reader = ctx.Command(AllLatestSql).ExecuteReader();
        while (reader.Read())
            latest[reader.GetString(1)] = Read(reader.GetInt64(0), reader.GetString(2), reader.GetString(3));
        return latest;
    }

    private static LatestRecord Read(long seq, string action, string data)
    {
        using var json = JsonDocument.Parse(data);
        var root = json.RootElement;
        return new LatestRecord(seq, action,
            root.TryGetProperty("contentHash", out var hash) && hash.ValueKind == JsonValueKind.String ? hash.GetString() : null,
            root.TryGetProperty("recovered", out var recovered) && recovered.ValueKind == JsonValueKind.True);
    }
}
