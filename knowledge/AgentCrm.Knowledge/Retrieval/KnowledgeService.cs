using AgentCrm.Knowledge.Distill;
using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Stores;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>
/// The facade the server and the CLI call: ingest (parse → chunk → distil → embed → store), list, delete, search.
/// Writes are serialised; a failed ingest leaves the previous version in place.
/// </summary>
public sealed class KnowledgeService : IDisposable
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
    private long _loadedVersion;

    public KnowledgeService(IKnowledgeStore store, IEmbeddingGenerator<string, Embedding<float>> embedder, IOptions<KnowledgeOptions> options, TimeProvider? time = null, IChatClient? chatClient = null)
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
        _readiness = new StoreReadiness(store, _catalog, _options, _writeGate, () => _units, (units, ct) => EmbedAsync(units, null, ct));
    }

    public KnowledgeOptions Options => _options;

    /// <summary>A document's distilled units: key sentences, obligations and figures, each linked to its chunk, and the method used.</summary>
    public IReadOnlyList<DistilledUnit> GetDistilledUnits(string documentId) => _catalog.DistilledUnits(documentId);

    /// <summary>A small value a host keeps beside the documents, in the same catalog (e.g. how far the bundled documents' first ingest got); null when unset.</summary>
    public string? ReadMarker(string key) => _catalog.Meta("marker:" + key) is { } value ? System.Text.Encoding.UTF8.GetString(value) : null;

    public void WriteMarker(string key, string value) => _catalog.SetMeta("marker:" + key, System.Text.Encoding.UTF8.GetBytes(value));

    public IReadOnlyList<KnowledgeDocument> ListDocuments() => [.. _documents.Values.OrderBy(d => d.Id, StringComparer.Ordinal)];

    public Task<IngestResult> IngestAsync(ReadOnlyMemory<byte> content, DocumentType type, string? id = null, string? title = null, IReadOnlyList<string>? tags = null, string? scenario = null, string? language = null, CancellationToken cancellationToken = default) =>
        IngestAsync(DocumentParser.Decode(content.Span, _options.MaxDocumentBytes), type, id, title, tags, scenario, language, cancellationToken);

    public async Task<IngestResult> IngestAsync(string text, DocumentType type, string? id = null, string? title = null, IReadOnlyList<string>? tags = null, string? scenario = null, string? language = null, CancellationToken cancellationToken = default)
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

        var parsed = DocumentParser.Parse(text, type, _options.MaxDocumentBytes);
        var hash = DocumentParser.Hash(parsed.NormalisedText);
        var documentId = DocumentIds.Validate(id ?? DocumentIds.Slug(givenTitle ?? parsed.Title ?? string.Empty) ?? $"doc-{hash[..12]}");
        var typeName = type.ToString().ToLowerInvariant();

        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await _readiness.EnsureAsync(cancellationToken);
            using var writeLock = await KnowledgeWriteLock.AcquireAsync(_options.DataDirectory, cancellationToken);
            await ReloadIfChangedLockedAsync(cancellationToken);
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
                    return new IngestResult(documentId, IngestStatus.Unchanged, existing!.Chunks, existing.DistilledUnits, hash);
                }

                await UpdateMetadataAsync(existing!, metadata, cancellationToken);
                return new IngestResult(documentId, IngestStatus.MetadataUpdated, existing!.Chunks, existing.DistilledUnits, hash, changed);
            }

            var chunking = new ChunkingOptions(_options.ChunkSize, _options.ChunkMaxSize, _options.ChunkOverlap);
            var (units, details) = await UnitBuilder.BuildAsync(documentId, metadata.Title, parsed, metadata.Tags, metadata.Scenario, metadata.Language, chunking, _distiller, cancellationToken, _options.IngestParallelism);
            var chunks = units.Count(u => u.Kind == UnitBuilder.ChunkKind);
            var document = new KnowledgeDocument(documentId, metadata.Title, typeName, metadata.Tags, metadata.Scenario, metadata.Language, hash, chunks, units.Count - chunks, _time.GetUtcNow());
            await CommitAsync(documentId, document, units, details, cancellationToken);
            return new IngestResult(documentId, existing is null ? IngestStatus.Created : IngestStatus.Replaced, document.Chunks, document.DistilledUnits, hash);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        await DeleteDocumentAsync(id, cancellationToken) is not null;

    /// <summary>Deletes a document; returns what it was (for the audit record), or null when there was none.</summary>
    public async Task<KnowledgeDocument?> DeleteDocumentAsync(string id, CancellationToken cancellationToken = default)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await _readiness.EnsureAsync(cancellationToken);
            using var writeLock = await KnowledgeWriteLock.AcquireAsync(_options.DataDirectory, cancellationToken);
            await ReloadIfChangedLockedAsync(cancellationToken);
            if (!_documents.TryGetValue(id, out var existing))
            {
                return null;
            }

            await CommitAsync(id, null, [], new Dictionary<string, DistilledUnit>(), cancellationToken);
            return existing;
        }
        finally
        {
            _writeGate.Release();
        }
    }

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
        await _readiness.EnsureAsync(cancellationToken, gateHeld: false);
        return await _search.SearchAsync(query, k, filter, minScore, documents, cancellationToken);
    }

    public Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default) => _store.IsHealthyAsync(cancellationToken);

    public void Dispose()
    {
        _catalog.Dispose();
        _writeGate.Dispose();
    }

    private async Task CommitAsync(string documentId, KnowledgeDocument? document, List<KnowledgeRecord> units, IReadOnlyDictionary<string, DistilledUnit> details, CancellationToken cancellationToken)
    {
        var all = _units.Where(u => u.DocumentId != documentId).ToList();
        all.AddRange(units);
        // Words scanned while embedding with the local embedder, reused by the lexical index (one tokenisation per text).
        var scanned = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (_idf.Embedder is { } local && _idf.NeedsRefit(all.Count))
        {
            // The corpus moved enough that the IDF is refitted; every stored vector is recomputed under it.
            var words = new List<string>[all.Count];
            var vectors = local.Refit([.. all.Select(KnowledgeSearch.EmbeddingText)], words);
            var embedded = all.Select((u, i) => u with { Vector = vectors[i] }).ToList();
            for (var i = 0; i < all.Count; i++)
            {
                scanned[all[i].Id] = words[i];
            }

            foreach (var group in embedded.GroupBy(u => u.DocumentId, StringComparer.Ordinal).Where(g => g.Key != documentId))
            {
                await _store.ReplaceDocumentAsync(group.Key, [.. group], cancellationToken);
            }

            units = [.. embedded.Where(u => u.DocumentId == documentId)];
        }
        else
        {
            var words = _idf.Embedder is null ? null : new List<string>[units.Count];
            units = await EmbedAsync(units, words, cancellationToken);
            for (var i = 0; words is not null && i < units.Count; i++)
            {
                scanned[units[i].Id] = words[i];
            }
        }

        if (document is null)
        {
            await _store.DeleteDocumentAsync(documentId, cancellationToken);
        }
        else
        {
            await _store.ReplaceDocumentAsync(documentId, units, cancellationToken);
        }

        Committed(_catalog.Save(documentId, document, units, details, _idf.Serialize()));
        var documents = new Dictionary<string, KnowledgeDocument>(_documents, StringComparer.Ordinal);
        documents.Remove(documentId);
        if (document is not null)
        {
            documents[documentId] = document;
        }

        // The service keeps units without vectors: the store owns those.
        _units = [.. all.Select(u => u.Vector.Length == 0 ? u : u with { Vector = [] })];
        _documents = documents;
        _search.Reindex(_units, scanned);
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
        _search.Reindex(units);
        (_units, _documents) = (units, documents);
        Volatile.Write(ref _loadedVersion, version);
        return true;
    }

    /// <summary>After this service's own change: the new count is taken as loaded only when no other process changed anything since the last load.</summary>
    private void Committed(long version)
    {
        if (version == _loadedVersion + 1)
        {
            Volatile.Write(ref _loadedVersion, version);
        }
    }

    /// <summary>New metadata on unchanged content: the store's records, the catalog and the in-memory units take it; nothing is embedded.</summary>
    private async Task UpdateMetadataAsync(KnowledgeDocument existing, DocumentMetadata metadata, CancellationToken cancellationToken)
    {
        await _store.UpdateDocumentMetadataAsync(existing.Id, metadata, cancellationToken);
        var document = existing with { Title = metadata.Title, Tags = metadata.Tags, Scenario = metadata.Scenario, Language = metadata.Language };
        Committed(_catalog.UpdateMetadata(document));
        _units = [.. _units.Select(u => u.DocumentId != existing.Id ? u
            : u with { Title = metadata.Title, Tags = metadata.Tags, Scenario = metadata.Scenario, Language = metadata.Language })];
        _documents = new Dictionary<string, KnowledgeDocument>(_documents, StringComparer.Ordinal) { [existing.Id] = document };
        _search.Reindex(_units);
    }

    /// <summary>
    /// The units with their vectors: from the local embedder under its current IDF (filling <paramref name="words"/>, when
    /// given, with the words it scanned per unit), or from the configured embeddings endpoint.
    /// </summary>
    private async Task<List<KnowledgeRecord>> EmbedAsync(List<KnowledgeRecord> units, List<string>[]? words, CancellationToken cancellationToken)
    {
        if (_idf.Embedder is { } local)
        {
            var vectors = local.EmbedAll([.. units.Select(KnowledgeSearch.EmbeddingText)], words, cancellationToken);
            return [.. units.Select((u, i) => u with { Vector = vectors[i] })];
        }

        var embeddings = await _embedder.GenerateAsync(units.Select(KnowledgeSearch.EmbeddingText), cancellationToken: cancellationToken);
        return [.. units.Select((u, i) => u with { Vector = embeddings[i].Vector.ToArray() })];
    }
}
