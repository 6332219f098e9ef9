using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge.Stores.Qdrant;

/// <summary>
/// <see cref="IKnowledgeStore"/> over Qdrant's REST API (../shared/protocols/qdrant-rest.md): one collection of
/// unnamed cosine vectors, point ids derived from record ids (<see cref="QdrantPointId"/>), the record in the payload
/// (<see cref="QdrantPayload"/>), keyword indexes on the filterable fields, and every write sent with <c>wait=true</c>
/// and accepted only when Qdrant reports it <c>completed</c>.
/// </summary>
public sealed class QdrantKnowledgeStore : IKnowledgeStore
{
    public const string HttpClientName = "AgentCrm.Knowledge.Qdrant";

    /// <summary>Points per upsert request; ~256 × (vector + text) stays far below Qdrant's 32 MB body limit.</summary>
    internal const int UpsertBatchSize = 256;

    private readonly QdrantRestClient _rest;
    private readonly ILogger _logger;
    private readonly string _collection;
    private readonly string _collectionPath;

    public QdrantKnowledgeStore(IHttpClientFactory httpClientFactory, IOptions<QdrantOptions> options, ILogger<QdrantKnowledgeStore> logger, TimeProvider timeProvider)
        : this(httpClientFactory, options.Value, logger, timeProvider, QdrantRetry.Default)
    {
    }

    internal QdrantKnowledgeStore(IHttpClientFactory httpClientFactory, QdrantOptions options, ILogger logger, TimeProvider timeProvider, QdrantRetry retry)
    {
        _rest = new QdrantRestClient(httpClientFactory, options, logger, timeProvider, retry);
        _logger = logger;
        _collection = options.Collection;
        _collectionPath = "collections/" + QdrantRestClient.Escape(options.Collection);
    }

    public async Task<bool> EnsureReadyAsync(int dimension, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        var info = await _rest.SendAsync("get collection", HttpMethod.Get, _collectionPath, null, cancellationToken, HttpStatusCode.NotFound);
        var indexed = new HashSet<string>(StringComparer.Ordinal);
        var created = info.StatusCode == HttpStatusCode.NotFound;
        if (info.StatusCode == HttpStatusCode.NotFound)
        {
            var creation = await _rest.SendAsync("create collection", HttpMethod.Put, _collectionPath, w =>
            {
                w.WriteStartObject();
                w.WriteStartObject("vectors");
                w.WriteNumber("size", dimension);
                w.WriteString("distance", "Cosine");
                w.WriteEndObject();
                w.WriteEndObject();
            }, cancellationToken, HttpStatusCode.Conflict);
            if (creation.StatusCode == HttpStatusCode.Conflict)
            {
                // Someone else created it in between: it must still hold vectors this store can use.
                _logger.CollectionCreateRace(_collection);
                CheckVectors((await _rest.SendAsync("get collection", HttpMethod.Get, _collectionPath, null, cancellationToken)).Result, dimension);
            }
            else
                _logger.CollectionCreated(_collection, dimension);
        }
        else
        {
            CheckVectors(info.Result, dimension);
            if (info.Result.ValueKind == JsonValueKind.Object && info.Result.TryGetProperty("payload_schema", out var schema) && schema.ValueKind == JsonValueKind.Object)
                indexed.UnionWith(schema.EnumerateObject().Select(p => p.Name));
        }

        foreach (var field in QdrantPayload.IndexedFields.Where(f => !indexed.Contains(f)))
        {
            var reply = await _rest.SendAsync($"create index on {field}", HttpMethod.Put, _collectionPath + "/index?wait=true", w =>
            {
                w.WriteStartObject();
                w.WriteString("field_name", field);
                w.WriteString("field_schema", "keyword");
                w.WriteEndObject();
            }, cancellationToken);
            EnsureCompleted($"create index on {field}", reply);
            _logger.IndexCreated(_collection, field);
        }

        // Created now, or there but holding no points (collection info's points_count is approximate, but 0 only when empty).
        return created || (info.Result.ValueKind == JsonValueKind.Object && info.Result.TryGetProperty("points_count", out var points)
            && points.ValueKind == JsonValueKind.Number && points.TryGetInt64(out var count) && count == 0);
    }

    /// <summary>
    /// <see cref="StageDocumentAsync"/> then <see cref="PruneDocumentAsync"/>: the new points, then the document's others
    /// deleted by filter. Qdrant has no multi-request transaction, so a reader of the collection can briefly see old and
    /// new points side by side, but never the document missing; a rejected batch leaves the previous version whole (its
    /// points are not overwritten: <see cref="QdrantPointId.For"/>). Each step waits until applied.
    /// </summary>
    public async Task ReplaceDocumentAsync(string documentId, IReadOnlyList<KnowledgeRecord> records, CancellationToken cancellationToken = default)
    {
        await StageDocumentAsync(documentId, records, cancellationToken);
        await PruneDocumentAsync(documentId, records, cancellationToken);
        _logger.DocumentReplaced(_collection, documentId, records.Count);
    }

    /// <summary>Upserts the records' points in batches (a passage unchanged since the current version keeps its point).</summary>
    public async Task StageDocumentAsync(string documentId, IReadOnlyList<KnowledgeRecord> records, CancellationToken cancellationToken = default)
    {
        CheckRecords(documentId, records);
        foreach (var batch in records.Chunk(UpsertBatchSize))
        {
            var reply = await SendToCollectionAsync($"upsert {batch.Length} points", HttpMethod.Put, "/points?wait=true", w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("points");
                foreach (var record in batch)
                    QdrantPayload.WritePoint(w, record);
                w.WriteEndArray();
                w.WriteEndObject();
            }, cancellationToken);
            EnsureCompleted("upsert", reply);
        }
    }

    /// <summary>Deletes the document's points but those of <paramref name="keep"/>, by filter.</summary>
    public Task PruneDocumentAsync(string documentId, IReadOnlyList<KnowledgeRecord> keep, CancellationToken cancellationToken = default)
    {
        CheckRecords(documentId, keep);
        return DeleteAsync("delete stale document points", QdrantFilter.ForDocument(documentId, except: [.. keep.Select(QdrantPointId.For)]), cancellationToken);
    }

    private static void CheckRecords(string documentId, IReadOnlyList<KnowledgeRecord> records)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(documentId);
        ArgumentNullException.ThrowIfNull(records);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (record.DocumentId != documentId)
                throw new ArgumentException($"Record '{record.Id}' belongs to document '{record.DocumentId}', not '{documentId}'.", nameof(records));
            if (!ids.Add(record.Id))
                throw new ArgumentException($"Record id '{record.Id}' appears twice.", nameof(records));
        }
    }

    public Task DeleteDocumentAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(documentId);
        return DeleteAsync("delete document points", QdrantFilter.ForDocument(documentId), cancellationToken);
    }

    /// <summary>The document's points, counted exactly (sheet §6 <c>points/count</c>; collection info's <c>points_count</c> is approximate).</summary>
    public async Task<long?> CountDocumentRecordsAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(documentId);
        var filter = QdrantFilter.ForDocument(documentId);
        var reply = await SendToCollectionAsync("count document points", HttpMethod.Post, "/points/count", w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("filter");
            filter.WriteTo(w);
            w.WriteBoolean("exact", true);
            w.WriteEndObject();
        }, cancellationToken);
        if (reply.Result.ValueKind != JsonValueKind.Object || !reply.Result.TryGetProperty("count", out var count) || count.ValueKind != JsonValueKind.Number || !count.TryGetInt64(out var points) || points < 0)
            throw new QdrantException("Qdrant count document points answered without result.count", reply.StatusCode);
        return points;
    }

    /// <summary>Sets the document-level payload keys on the document's points by filter (Qdrant merges them into each payload); vectors stay.</summary>
    public async Task UpdateDocumentMetadataAsync(string documentId, DocumentMetadata metadata, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(documentId);
        ArgumentNullException.ThrowIfNull(metadata);
        var filter = QdrantFilter.ForDocument(documentId);
        var reply = await SendToCollectionAsync("set document payload", HttpMethod.Post, "/points/payload?wait=true", w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("payload");
            QdrantPayload.WriteDocumentMetadata(w, metadata);
            w.WritePropertyName("filter");
            filter.WriteTo(w);
            w.WriteEndObject();
        }, cancellationToken);
        EnsureCompleted("set document payload", reply);
    }

    private async Task DeleteAsync(string operation, System.Text.Json.Nodes.JsonObject filter, CancellationToken cancellationToken)
    {
        var reply = await SendToCollectionAsync(operation, HttpMethod.Post, "/points/delete?wait=true", w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("filter");
            filter.WriteTo(w);
            w.WriteEndObject();
        }, cancellationToken);
        EnsureCompleted(operation, reply);
    }

    /// <summary>
    /// An operation on the collection's points. A 404 there means the collection does not exist (deleted, or Qdrant lost
    /// its storage, while this server ran) when Qdrant says so ("Not found: Collection …") or the collection's own info
    /// answers 404: the caller makes the store ready again and restores it. Any other 404 (a Qdrant before 1.10 has no
    /// <c>points/query</c>; a proxy that routes only some paths) is a refusal retrying cannot mend.
    /// </summary>
    private async Task<QdrantReply> SendToCollectionAsync(string operation, HttpMethod method, string path, Action<Utf8JsonWriter> writeBody, CancellationToken cancellationToken)
    {
        try
        {
            return await _rest.SendAsync(operation, method, _collectionPath + path, writeBody, cancellationToken);
        }
        catch (QdrantException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            var lost = ex.ServerError?.StartsWith("Not found: Collection", StringComparison.Ordinal) == true
                || (await _rest.SendAsync("get collection", HttpMethod.Get, _collectionPath, null, cancellationToken, HttpStatusCode.NotFound)).StatusCode == HttpStatusCode.NotFound;
            var serverError = ex.ServerError ?? "no error text";
            if (!lost)
            {
                var route = $"{method} {_collectionPath}{path.Split('?')[0]}";
                throw new QdrantException(
                    $"Qdrant answered {route} with HTTP 404 ({serverError}) although collection '{_collection}' exists: this Qdrant, or a proxy before it, does not serve that path. Qdrant 1.10 or later is needed.",
                    ex.StatusCode,
                    ex.ServerError,
                    innerException: ex);
            }

            _logger.CollectionLost(_collection, operation, serverError);
            throw new KnowledgeStoreLostException($"Qdrant collection '{_collection}' is gone: {operation} answered HTTP 404 ({serverError}).", ex);
        }
    }

    public async Task<IReadOnlyList<VectorHit>> SearchAsync(float[] query, int k, SearchFilter? filter = null, double? scoreThreshold = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (k <= 0)
            return [];
        var qdrantFilter = QdrantFilter.From(filter);
        var reply = await SendToCollectionAsync("query points", HttpMethod.Post, "/points/query", w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("query");
            QdrantPayload.WriteVector(w, query);
            if (qdrantFilter is not null)
            {
                w.WritePropertyName("filter");
                qdrantFilter.WriteTo(w);
            }
            w.WriteNumber("limit", k);
            if (scoreThreshold is { } threshold)
                w.WriteNumber("score_threshold", threshold);
            w.WriteBoolean("with_payload", true);
            w.WriteEndObject();
        }, cancellationToken);

        if (reply.Result.ValueKind != JsonValueKind.Object || !reply.Result.TryGetProperty("points", out var points) || points.ValueKind != JsonValueKind.Array)
            throw new QdrantException("Qdrant query points answered without result.points", reply.StatusCode);
        // Qdrant already ranks and thresholds; re-applying both keeps the interface contract ("at or above", best first) exact.
        return [.. points.EnumerateArray()
            .Select(p => new VectorHit(QdrantPayload.ToRecord(p), p.GetProperty("score").GetDouble()))
            .Where(h => scoreThreshold is not { } t || h.Score >= t)
            .OrderByDescending(h => h.Score)
            .Take(k)];
    }

    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _rest.IsHealthyAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _logger.HealthCheckFailed(ex);
            return false;
        }
    }

    private void CheckVectors(JsonElement info, int dimension)
    {
        if (info.ValueKind != JsonValueKind.Object
            || !info.TryGetProperty("config", out var config)
            || !config.TryGetProperty("params", out var parameters)
            || !parameters.TryGetProperty("vectors", out var vectors))
            return;
        if (vectors.ValueKind != JsonValueKind.Object || !vectors.TryGetProperty("size", out var size))
            throw new QdrantException($"Qdrant collection '{_collection}' uses named vectors; this store needs a single unnamed vector. Use another {QdrantOptions.Section}:Collection.");
        if (size.TryGetInt32(out var existing) && existing != dimension)
            throw new QdrantException($"Qdrant collection '{_collection}' holds {existing}-dimensional vectors but the embedder produces {dimension}. Re-create the collection or use another {QdrantOptions.Section}:Collection.");
        if (vectors.TryGetProperty("distance", out var distance) && distance.GetString() != "Cosine")
            throw new QdrantException($"Qdrant collection '{_collection}' uses {distance.GetString()} distance; this store needs Cosine. Use another {QdrantOptions.Section}:Collection.");
    }

    /// <summary><c>wait=true</c> normally yields <c>completed</c>; <c>acknowledged</c> or <c>wait_timeout</c> means queued, not applied (busy, transient).</summary>
    private static void EnsureCompleted(string operation, QdrantReply reply)
    {
        var status = reply.Result.ValueKind == JsonValueKind.Object && reply.Result.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String
            ? s.GetString()
            : null;
        if (status == "completed")
            return;
        if (status is "acknowledged" or "wait_timeout")
            throw new QdrantException(
                $"Qdrant {operation} was accepted but not confirmed as applied (status \"{status}\": Qdrant is busy); it may still be applied later. Not treated as done.",
                reply.StatusCode,
                updateStatus: status);
        throw new QdrantException($"Qdrant {operation} answered without an update status (expected \"completed\", got {(status is null ? "none" : $"\"{status}\"")}).", reply.StatusCode);
    }
}
