using AgentCrm.Knowledge.Distill;
using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Stores;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>
/// The facade the server and the CLI call: ingest (parse → chunk → distil → embed → store), list, delete, search.
/// Writes are serialised; a failed ingest leaves the previous version in place. The catalog is the truth and the vector
/// store follows it: a write adds to the store what it needs, commits the catalog, then removes what the catalog no longer
/// holds; searches cite only what the catalog holds.
/// </summary>
public sealed partial class KnowledgeService : IDisposable
{
    private readonly IKnowledgeStore _store;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embedder;
    private readonly KnowledgeOptions _options;
    private readonly TimeProvider _time;
    private readonly Distiller _distiller;
    private readonly DocumentCatalog _catalog;
    private readonly KnowledgeSearch _search;
    private readonly IdfState _idf;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private Dictionary<string, KnowledgeDocument> _documents;
    private List<KnowledgeRecord> _units;
    private readonly StoreReadiness _readiness;
    private readonly ILogger _logger;
    private long _loadedVersion;
    private long _reloads;

    public KnowledgeService(IKnowledgeStore store, IEmbeddingGenerator<string, Embedding<float>> embedder, IOptions<KnowledgeOptions> options, TimeProvider? time = null, IChatClient? chatClient = null, ILogger<KnowledgeService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _embedder = embedder;
        _options = options.Value;
        _time = time ?? TimeProvider.System;
        _distiller = new Distiller(chatClient);
        _catalog = new DocumentCatalog(Path.Combine(_options.DataDirectory, KnowledgeOptions.CatalogFileName));
        _search = new KnowledgeSearch(store, embedder);
        _loadedVersion = _catalog.Version();
        _documents = _catalog.Documents().ToDictionary(d => d.Id, StringComparer.Ordinal);
        _units = _catalog.Units();
        _idf = new IdfState(_catalog, embedder as LocalEmbeddingGenerator);
        if (_idf.Embedder is { } local)
        {
            local.MaxParallelism = _options.IngestParallelism;
        }

        _search.Reindex(_units);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _readiness = new StoreReadiness(store, _catalog, _options, _writeGate, () => _units, (units, ct) => EmbedAsync(units, null, ct), ReloadIfChangedLockedAsync, _search.Changed, _logger, LowerCaseTagsLocked);
    }

    public KnowledgeOptions Options => _options;

    /// <summary>
    /// The version of what a search can find: it changes after every change to it is in place — an ingest, a re-label or a
    /// delete (this process's, or another's on the same data directory once reloaded), an IDF refit or its rollback, a
    /// vector store restored or repaired. A result kept under the version read before a search is therefore never older
    /// than that version: once a write has returned, a reader of the version no longer gets results from before it.
    /// </summary>
    public long SearchVersion => _search.Version;

    /// <summary>A document's distilled units: key sentences, obligations and figures, each linked to its chunk, and the method used.</summary>
    public IReadOnlyList<DistilledUnit> GetDistilledUnits(string documentId) => _catalog.DistilledUnits(documentId);

    /// <summary>A small value a host keeps beside the documents, in the same catalog (e.g. how far the bundled documents' first ingest got); null when unset.</summary>
    public string? ReadMarker(string key) => _catalog.Meta("marker:" + key) is { } value ? System.Text.Encoding.UTF8.GetString(value) : null;

    public void WriteMarker(string key, string value) => _catalog.SetMeta("marker:" + key, System.Text.Encoding.UTF8.GetBytes(value));

    /// <summary>A document's chunks as the catalog holds them, in reading order (what a hit may cite).</summary>
    internal IReadOnlyList<KnowledgeRecord> Chunks(string documentId) =>
        [.. _units.Where(u => u.DocumentId == documentId && u.Kind == UnitBuilder.ChunkKind)];

    public IReadOnlyList<KnowledgeDocument> ListDocuments() => [.. _documents.Values.OrderBy(d => d.Id, StringComparer.Ordinal)];

    public Task<IngestResult> IngestAsync(ReadOnlyMemory<byte> content, DocumentType type, string? id = null, string? title = null, IReadOnlyList<string>? tags = null, string? scenario = null, string? language = null, Func<IngestResult, Task>? record = null, CancellationToken cancellationToken = default) =>
        IngestAsync(DocumentParser.Decode(content.Span, _options.MaxDocumentBytes), type, id, title, tags, scenario, language, record, cancellationToken);

    /// <summary>
    /// Ingests one document. <paramref name="record"/>, when given, is called with a change (not with an unchanged result)
    /// once it is committed and before any other write: when it throws, the change is undone and its exception rethrown
    /// (<see cref="RecordOrUndoAsync"/>), so a change whose record could not be kept is not kept either. <paramref name="maxBytes"/>
    /// is the size limit it is held to, <c>Knowledge:MaxDocumentBytes</c> when not given (an upload's).
    /// </summary>
    public async Task<IngestResult> IngestAsync(string text, DocumentType type, string? id = null, string? title = null, IReadOnlyList<string>? tags = null, string? scenario = null, string? language = null, Func<IngestResult, Task>? record = null, CancellationToken cancellationToken = default,
        long? maxBytes = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Null tags, scenario or language: keep what the document has (a re-ingest from the CLI keeps tags given over HTTP);
        // given, they replace it, an empty list or "" clearing it.
        var givenTags = tags is null ? null : DocumentRules.NormaliseTags(tags);
        var givenScenario = scenario is null ? null : scenario.Trim();
        var givenTitle = string.IsNullOrWhiteSpace(title) ? null : title.Trim();
        if (DocumentRules.Problems(givenTitle, givenTags, givenScenario is { Length: > 0 } s ? s : null) is { Count: > 0 } problems)
        {
            throw new KnowledgeInputException(string.Join(" ", problems.Values.SelectMany(v => v)));
        }

        var parsed = DocumentParser.Parse(text, type, maxBytes ?? _options.MaxDocumentBytes);
        var hash = DocumentParser.Hash(parsed.NormalisedText);
        var documentId = DocumentIds.Validate(id ?? DocumentIds.Slug(givenTitle ?? parsed.Title ?? string.Empty) ?? $"doc-{hash[..12]}");
        var typeName = type.ToString().ToLowerInvariant();

        return await WriteAsync(async () =>
        {
            var existing = _documents.GetValueOrDefault(documentId);
            var sameContent = existing is not null && existing.ContentHash == hash && existing.Type == typeName;
            // A title not given is the document's own (front matter or first H1; cut to the rule rather than refused), kept while the content is the same.
            var derivedTitle = parsed.Title is { } t ? t[..Math.Min(t.Length, DocumentRules.MaxTitleLength)].TrimEnd() : documentId;
            var metadata = new DocumentMetadata(
                givenTitle ?? (sameContent ? existing!.Title : derivedTitle),
                givenTags ?? existing?.Tags ?? [],
                givenScenario is null ? existing?.Scenario : givenScenario.Length == 0 ? null : givenScenario,
                language ?? existing?.Language ?? _options.DefaultDocumentLanguage);
            if (sameContent)
            {
                // Same content: only the metadata can differ, and it is set on the stored units without embedding them again.
                var changed = metadata.ChangesFrom(existing!);
                if (changed.Count == 0)
                {
                    // The content hash is trusted only as far as the store still holds the document: Qdrant's points can be
                    // deleted behind the catalog's back (another client of the collection, an operator), and the document
                    // would then stay out of vector search for good. Given again when the store holds fewer than the catalog.
                    await _readiness.RepairIfMissingAsync(documentId, cancellationToken);
                    return new IngestResult(documentId, IngestStatus.Unchanged, existing!.Chunks, existing.DistilledUnits, hash);
                }

                // What an undo of a re-filed opening text puts back (only a new title re-files it).
                var before = record is null || metadata.Title == existing!.Title ? null : new Previous(existing, UnitsOf(documentId), _catalog.DistilledUnitsById(documentId));
                var refiled = await UpdateMetadataAsync(existing!, metadata, cancellationToken);
                var updated = new IngestResult(documentId, IngestStatus.MetadataUpdated, existing!.Chunks, existing.DistilledUnits, hash, changed);
                // Undone as it was done: a re-filed opening text goes back as it was stored, other metadata without re-filing
                // anything (the new title may be a section's heading).
                await RecordOrUndoAsync(documentId, record, updated, () => refiled ? RestoreAsync(documentId, before)
                    : UpdateMetadataAsync(_documents[documentId], new DocumentMetadata(existing.Title, existing.Tags, existing.Scenario, existing.Language), CancellationToken.None, refile: false));
                return updated;
            }

            var chunking = new ChunkingOptions(_options.ChunkSize, _options.ChunkMaxSize, _options.ChunkOverlap);
            var (units, details) = await UnitBuilder.BuildAsync(documentId, metadata.Title, parsed, metadata.Tags, metadata.Scenario, metadata.Language, chunking, _distiller, cancellationToken, _options.IngestParallelism);
            var chunks = units.Count(u => u.Kind == UnitBuilder.ChunkKind);
            var document = new KnowledgeDocument(documentId, metadata.Title, typeName, metadata.Tags, metadata.Scenario, metadata.Language, hash, chunks, units.Count - chunks, _time.GetUtcNow());
            // What an undo puts back: the previous version's units (without vectors: embedded again) and distilled details.
            var previous = record is null || existing is null ? null : new Previous(existing, UnitsOf(documentId), _catalog.DistilledUnitsById(documentId));
            await CommitAsync(documentId, document, units, details, cancellationToken);
            var result = new IngestResult(documentId, existing is null ? IngestStatus.Created : IngestStatus.Replaced, document.Chunks, document.DistilledUnits, hash);
            await RecordOrUndoAsync(documentId, record, result, () => RestoreAsync(documentId, previous));
            return result;
        }, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        await DeleteDocumentAsync(id, cancellationToken) is not null;

    /// <summary>Deletes a document; returns what it was (for the audit record), or null when there was none.</summary>
    public Task<KnowledgeDocument?> DeleteDocumentAsync(string id, CancellationToken cancellationToken = default) =>
        DeleteDocumentAsync(id, null, cancellationToken);

    /// <summary>
    /// Deletes a document; returns what it was, or null when there was none. <paramref name="record"/>, when given, is called
    /// with what was deleted before any other write: when it throws, the document is put back and its exception rethrown.
    /// </summary>
    public Task<KnowledgeDocument?> DeleteDocumentAsync(string id, Func<KnowledgeDocument, Task>? record, CancellationToken cancellationToken = default) =>
        WriteAsync(async () =>
        {
            if (!_documents.TryGetValue(id, out var existing))
            {
                return null;
            }

            var previous = record is null ? null : new Previous(existing, UnitsOf(id), _catalog.DistilledUnitsById(id));
            await CommitAsync(id, null, [], new Dictionary<string, DistilledUnit>(), cancellationToken);
            await RecordOrUndoAsync(id, record, existing, () => RestoreAsync(id, previous));
            return existing;
        }, cancellationToken);

    /// <summary>
    /// How many times this service has taken in changes another process made, whichever read brought them in (<see
    /// cref="ReloadIfChangedAsync"/>, or a write's check before it changes anything): a host that acts on another process's
    /// changes compares it with the count it last saw.
    /// </summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    /// <summary>
    /// Takes in documents another process (the CLI) ingested, re-labelled or deleted in the same data directory since
    /// this service loaded them: the catalog counts its changes, so an unchanged count costs one read. Returns whether
    /// anything was reloaded. Writes through this service check the same way before they change anything.
    /// </summary>
    public async Task<bool> ReloadIfChangedAsync(CancellationToken cancellationToken = default)
    {
        if (_catalog.Version() == Volatile.Read(ref _loadedVersion))
        {
            return false;
        }

        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            return await ReloadIfChangedLockedAsync(cancellationToken);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>A document's metadata and its sections in reading order, each with its heading path and chunk ids; null when unknown.</summary>
    public KnowledgeDocumentDetails? GetDocument(string id)
    {
        var units = _units;
        if (!_documents.TryGetValue(id, out var document))
        {
            return null;
        }

        var sections = new List<(string Heading, List<string> ChunkIds)>();
        foreach (var unit in units.Where(u => u.DocumentId == id && u.Kind == UnitBuilder.ChunkKind))
        {
            if (sections.Count == 0 || sections[^1].Heading != unit.Section)
            {
                sections.Add((unit.Section, []));
            }

            sections[^1].ChunkIds.Add(unit.Id);
        }

        return KnowledgeDocumentDetails.From(document, [.. sections.Select(s => new DocumentSection(s.Heading, s.ChunkIds))]);
    }

    /// <summary>Hybrid search; <paramref name="minScore"/> is a minimum cosine similarity (null: no threshold); <paramref name="documents"/>: only hits of the documents it accepts.</summary>
    public async Task<IReadOnlyList<KnowledgeHit>> SearchAsync(string query, int k = 5, SearchFilter? filter = null, double? minScore = null, Func<string, bool>? documents = null, CancellationToken cancellationToken = default)
    {
        // Tags are searched lower-cased, as they are stored (whoever calls: the API, the CLI, a host).
        if (filter?.Tags is { Count: > 0 } tags && !DocumentRules.AreNormal(tags))
        {
            filter = filter with { Tags = DocumentRules.NormaliseTags(tags) };
        }

        for (var attempt = 0; ; attempt++)
        {
            await _readiness.EnsureAsync(cancellationToken, gateHeld: false);
            var generation = _readiness.Generation;
            try
            {
                return await _search.SearchAsync(query, k, filter, minScore, documents, checkStore: attempt == 0, cancellationToken);
            }
            catch (KnowledgeStoreLostException) when (attempt == 0)
            {
                // Qdrant lost its collection (or its points) while this server ran: it is made ready and restored once,
                // the searches that saw it waiting for that, then asked again. When the collection is not empty, the
                // documents the filter accepts lost only their own points (another client of the collection deleted
                // them): those are stored again from the catalog.
                var units = _units;
                _readiness.Lost(generation, units.Where(filter.Matches).Select(u => u.DocumentId).Distinct(StringComparer.Ordinal));
            }
        }
    }

    public Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default) => _store.IsHealthyAsync(cancellationToken);

    public void Dispose()
    {
        _catalog.Dispose();
        _writeGate.Dispose();
    }

    private async Task<bool> ReloadIfChangedLockedAsync(CancellationToken cancellationToken)
    {
        // The count is read before the data: a change landing in between is loaded now and loaded again on the next check.
        var version = _catalog.Version();
        if (version == _loadedVersion)
        {
            return false;
        }

        await _store.ReloadAsync(cancellationToken);
        _idf.Load(_catalog);
        var documents = _catalog.Documents().ToDictionary(d => d.Id, StringComparer.Ordinal);
        var units = _catalog.Units();
        // The documents first: reindexing raises the search version, and a reader of the new version lists the new documents.
        (_units, _documents) = (units, documents);
        _search.Reindex(units);
        Volatile.Write(ref _loadedVersion, version);
        Interlocked.Increment(ref _reloads);
        return true;
    }
}
