using AgentCrm.Knowledge.Documents;

namespace AgentCrm.Knowledge.Stores;

/// <summary>What is stored per searchable unit: a chunk of a document, or a distilled unit of a section.</summary>
/// <param name="Id">Stable id (e.g. <c>gdpr#c0042</c> or <c>gdpr#d0007</c>); stores that need UUIDs derive one deterministically.</param>
/// <param name="DocumentId">The document it belongs to.</param>
/// <param name="Title">The document's title.</param>
/// <param name="Section">The heading path, e.g. "CHAPTER III › Section 3 › Article 17 — Right to erasure".</param>
/// <param name="Kind"><c>chunk</c> or <c>distilled</c>.</param>
/// <param name="Text">The text that was embedded (and is shown as a snippet).</param>
/// <param name="Tags">Document tags (filterable).</param>
/// <param name="Scenario">Optional scenario the document serves (filterable), e.g. <c>renewal-risk</c>.</param>
/// <param name="Language">ISO 639-1 language (filterable).</param>
/// <param name="Vector">L2-normalised embedding.</param>
/// <param name="SourceChunkId">For a distilled unit, the chunk it was distilled from.</param>
public sealed record KnowledgeRecord(
    string Id,
    string DocumentId,
    string Title,
    string Section,
    string Kind,
    string Text,
    IReadOnlyList<string> Tags,
    string? Scenario,
    string Language,
    float[] Vector,
    string? SourceChunkId = null);

/// <summary>What a document's records carry of the document itself: changing it needs no new embedding (a new title that re-files a document's opening text changes its sections: that is stored as a replace).</summary>
public sealed record DocumentMetadata(string Title, IReadOnlyList<string> Tags, string? Scenario, string Language)
{
    /// <summary>The names of the fields (title, tags, scenario, language) in which this differs from <paramref name="document"/>.</summary>
    public List<string> ChangesFrom(KnowledgeDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var changed = new List<string>();
        if (document.Title != Title)
        {
            changed.Add("title");
        }

        if (!document.Tags.SequenceEqual(Tags, StringComparer.Ordinal))
        {
            changed.Add("tags");
        }

        if (document.Scenario != Scenario)
        {
            changed.Add("scenario");
        }

        if (document.Language != Language)
        {
            changed.Add("language");
        }

        return changed;
    }
}

/// <summary>Payload filters; every non-null condition must hold (tags: any of them).</summary>
public sealed record SearchFilter(string? DocumentId = null, IReadOnlyList<string>? Tags = null, string? Scenario = null, string? Language = null, string? Kind = null);

public sealed record VectorHit(KnowledgeRecord Record, double Score);

/// <summary>
/// The vector store seam: embedded (SQLite-persisted, searched in memory with SIMD) or Qdrant over its
/// REST API. Both pass one contract test suite. Scores are cosine similarities of normalised vectors.
/// </summary>
public interface IKnowledgeStore
{
    /// <summary>
    /// Creates what the store needs for vectors of this dimension (collection, indexes) if missing. True when the store
    /// holds no records yet (created now, or emptied), so the caller can store again what its catalog says it holds.
    /// </summary>
    Task<bool> EnsureReadyAsync(int dimension, CancellationToken cancellationToken = default);

    /// <summary>Replaces every record of a document with these, atomically as far as the store allows.</summary>
    Task ReplaceDocumentAsync(string documentId, IReadOnlyList<KnowledgeRecord> records, CancellationToken cancellationToken = default);

    /// <summary>
    /// The first half of a replace its caller commits between: stores these records beside the document's current ones, so
    /// a reader of the store may see both until <see cref="PruneDocumentAsync"/>; never fewer. A store whose replace is
    /// one transaction (the embedded one) replaces here and has nothing left to prune.
    /// </summary>
    Task StageDocumentAsync(string documentId, IReadOnlyList<KnowledgeRecord> records, CancellationToken cancellationToken = default) =>
        ReplaceDocumentAsync(documentId, records, cancellationToken);

    /// <summary>The second half: removes the document's records other than <paramref name="keep"/> (matched by id and content, vectors not needed).</summary>
    Task PruneDocumentAsync(string documentId, IReadOnlyList<KnowledgeRecord> keep, CancellationToken cancellationToken = default) =>
        Task.CompletedTask;

    Task DeleteDocumentAsync(string documentId, CancellationToken cancellationToken = default);

    /// <summary>
    /// How many records the store holds of a document, counted exactly; null when the store cannot lose them behind the
    /// catalog's back (the embedded one keeps them in the data directory it commits with the catalog). Qdrant's can be
    /// deleted by another client of the collection while the catalog still holds the document.
    /// </summary>
    Task<long?> CountDocumentRecordsAsync(string documentId, CancellationToken cancellationToken = default) =>
        Task.FromResult<long?>(null);

    /// <summary>
    /// Sets the document-level fields on every record of a document (its metadata changed, its content did not): texts and
    /// vectors stay as stored, so nothing is embedded again.
    /// </summary>
    Task UpdateDocumentMetadataAsync(string documentId, DocumentMetadata metadata, CancellationToken cancellationToken = default);

    /// <summary>The top <paramref name="k"/> records by cosine similarity, best first, at or above <paramref name="scoreThreshold"/>.</summary>
    Task<IReadOnlyList<VectorHit>> SearchAsync(float[] query, int k, SearchFilter? filter = null, double? scoreThreshold = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes in what another process (the CLI) wrote to the same storage since this instance loaded it. A store whose
    /// every read goes to its server (Qdrant) has nothing to do.
    /// </summary>
    Task ReloadAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>True when the store answers.</summary>
    Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default);
}
