using AgentCrm.Knowledge.Distill;
using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Stores;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>The service's writes: how a document's new version, metadata or deletion reaches the vector store and the catalog.</summary>
public sealed partial class KnowledgeService
{
    /// <summary>
    /// Runs a write under the write gate and the cross-process write lock, on the catalog as committed, after repairing
    /// what an earlier failed write left in the store. A store that lost its storage meanwhile (Qdrant's collection
    /// deleted) is made ready and restored, and the write runs once more.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<Task<T>> write, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                await _readiness.EnsureAsync(cancellationToken);
                var generation = _readiness.Generation;
                try
                {
                    using var writeLock = await KnowledgeWriteLock.AcquireAsync(_options.DataDirectory, cancellationToken);
                    await ReloadIfChangedLockedAsync(cancellationToken);
                    await _readiness.TryRepairAsync(cancellationToken);
                    return await write();
                }
                catch (KnowledgeStoreLostException) when (attempt == 0)
                {
                    _readiness.Lost(generation);
                }
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>A document's version as the catalog held it before a change: what undoing the change puts back.</summary>
    private sealed record Previous(KnowledgeDocument Document, List<KnowledgeRecord> Units, IReadOnlyDictionary<string, DistilledUnit> Details);

    /// <summary>A document's units as the service holds them (without vectors), in reading order.</summary>
    private List<KnowledgeRecord> UnitsOf(string documentId) => [.. _units.Where(u => u.DocumentId == documentId)];

    /// <summary>
    /// Calls a committed change's <paramref name="record"/> (the host's audit append) while the write still holds the gate
    /// and the cross-process lock; when it throws, the change is undone before any other write and the record's failure
    /// rethrown: a change whose record could not be kept is not kept either (the host's refusal then stores nothing). When
    /// the undo fails too, <see cref="KnowledgeChangeNotUndoneException"/>: the change is stored without its record. Neither
    /// the record nor the undo heeds the request's cancellation once the change is committed.
    /// </summary>
    private async Task RecordOrUndoAsync<T>(string documentId, Func<T, Task>? record, T change, Func<Task> undo)
    {
        if (record is null)
        {
            return;
        }

        try
        {
            await record(change);
        }
        catch (Exception recordFailure)
        {
            try
            {
                await undo();
            }
            catch (Exception undoFailure)
            {
                _logger.UndoFailed(undoFailure, documentId);
                throw new KnowledgeChangeNotUndoneException(documentId, recordFailure, undoFailure);
            }

            _logger.Undone(documentId);
            throw;
        }
    }

    /// <summary>Puts a document back as it was before a change (<paramref name="previous"/>), or removes it when it was new.</summary>
    private Task RestoreAsync(string documentId, Previous? previous) => previous is null
        ? CommitAsync(documentId, null, [], new Dictionary<string, DistilledUnit>(), CancellationToken.None)
        : CommitAsync(documentId, previous.Document, previous.Units, previous.Details, CancellationToken.None);

    /// <summary>
    /// Stores a new version of a document (or deletes it, with a null <paramref name="document"/>) in the order that keeps
    /// readers on what the catalog holds: the new records are added beside the current ones, the catalog commits, then the
    /// records it no longer holds are removed. The documents whose records change are marked first; a store write that
    /// fails (Qdrant busy or gone, a timeout) leaves the catalog as it was, and what the store may still apply later is
    /// repaired at once if the store lets it, or by the next write.
    /// </summary>
    private async Task CommitAsync(string documentId, KnowledgeDocument? document, List<KnowledgeRecord> units, IReadOnlyDictionary<string, DistilledUnit> details, CancellationToken cancellationToken)
    {
        var all = _units.Where(u => u.DocumentId != documentId).ToList();
        all.AddRange(units);
        // Words scanned while embedding with the local embedder, reused by the lexical index (one tokenisation per text).
        var scanned = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var refit = _idf.Embedder is not null && _idf.NeedsRefit(all.Count);
        var previousIdf = _idf.Embedder?.Idf;
        List<KnowledgeRecord> restored = [];
        if (refit)
        {
            // The corpus moved enough that the IDF is refitted; every stored vector is recomputed under it.
            var words = new List<string>[all.Count];
            var vectors = _idf.Embedder!.Refit([.. all.Select(KnowledgeSearch.EmbeddingText)], words);
            var embedded = all.Select((u, i) => u with { Vector = vectors[i] }).ToList();
            for (var i = 0; i < all.Count; i++)
            {
                scanned[all[i].Id] = words[i];
            }

            restored = [.. embedded.Where(u => u.DocumentId != documentId)];
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

        var touched = restored.Select(u => u.DocumentId).Append(documentId).Distinct(StringComparer.Ordinal).ToList();
        _readiness.Mark(touched);
        try
        {
            foreach (var group in restored.GroupBy(u => u.DocumentId, StringComparer.Ordinal))
            {
                await _store.ReplaceDocumentAsync(group.Key, [.. group], cancellationToken);
            }

            if (document is not null)
            {
                await _store.StageDocumentAsync(documentId, units, cancellationToken);
            }
        }
        catch
        {
            await RollBackAsync();
            throw;
        }

        try
        {
            Committed(_catalog.Save(documentId, document, units, details, _idf.Serialize()));
        }
        catch
        {
            // The store holds the new records already (and, after a refit, every document's new vectors): back to the catalog.
            await RollBackAsync();
            throw;
        }
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
        await PruneAsync(documentId, document is null ? null : units, touched, cancellationToken);
        // Searches between the reindex and the prune met the records pruned now among their candidates (ranked the rest
        // differently): what was kept for the new version is dropped once more (rev28).
        _search.Changed();

        // Nothing is committed: the embedder goes back to the IDF the catalog holds, and the store back to the catalog.
        async Task RollBackAsync()
        {
            if (refit)
            {
                _idf.Embedder!.Idf = previousIdf!;
            }

            await _readiness.TryRepairAsync(cancellationToken);
            // Searches meanwhile embedded queries under the refitted IDF, or met vectors the store held for a moment.
            _search.Changed();
        }
    }

    /// <summary>
    /// Removes from the store what the committed catalog no longer holds of the document: its other version, or all of it.
    /// The write is done whatever happens here: what stays behind is never cited, and stays marked for the next write.
    /// </summary>
    private async Task PruneAsync(string documentId, List<KnowledgeRecord>? keep, List<string> touched, CancellationToken cancellationToken)
    {
        try
        {
            if (keep is null)
            {
                await _store.DeleteDocumentAsync(documentId, cancellationToken);
            }
            else
            {
                await _store.PruneDocumentAsync(documentId, keep, cancellationToken);
            }

            _readiness.Unmark(touched);
        }
        catch (Exception ex)
        {
            // Cancelled too: the write is committed, and its caller learns that rather than a failure.
            _logger.PruneFailed(ex, documentId);
        }
    }

    /// <summary>After this service's own change: the new count is taken as loaded only when no other process changed anything since the last load.</summary>
    private void Committed(long version)
    {
        if (version == _loadedVersion + 1)
        {
            Volatile.Write(ref _loadedVersion, version);
        }
    }

    /// <summary>
    /// New metadata on unchanged content: the store's records, the catalog and the in-memory units take it; nothing is
    /// embedded. Except a new title for a document with opening text (filed under its title, <see cref="UnitBuilder"/>):
    /// that text is re-filed under the new one, and as a unit's section is embedded with it, the document is stored again
    /// as a replace would store it, its units embedded anew (kept under the old title, the old title stayed searchable and
    /// was taken as that passage's heading; qa44b F2). Returns whether it was; an undo passes <paramref name="refile"/> false.
    /// </summary>
    private async Task<bool> UpdateMetadataAsync(KnowledgeDocument existing, DocumentMetadata metadata, CancellationToken cancellationToken, bool refile = true)
    {
        var document = existing with { Title = metadata.Title, Tags = metadata.Tags, Scenario = metadata.Scenario, Language = metadata.Language };
        var units = UnitsOf(existing.Id);
        if (refile && metadata.Title != existing.Title && units.Exists(u => u.Section == existing.Title))
        {
            string Refiled(string section) => section == existing.Title ? metadata.Title : section;
            await CommitAsync(existing.Id, document,
                [.. units.Select(u => u with { Title = metadata.Title, Section = Refiled(u.Section), Tags = metadata.Tags, Scenario = metadata.Scenario, Language = metadata.Language })],
                _catalog.DistilledUnitsById(existing.Id).ToDictionary(p => p.Key, p => p.Value with { Section = Refiled(p.Value.Section) }, StringComparer.Ordinal),
                cancellationToken);
            return true;
        }

        _readiness.Mark([existing.Id]);
        try
        {
            await _store.UpdateDocumentMetadataAsync(existing.Id, metadata, cancellationToken);
        }
        catch
        {
            await _readiness.TryRepairAsync(cancellationToken);
            throw;
        }

        Committed(_catalog.UpdateMetadata(document));
        _readiness.Unmark([existing.Id]);
        _units = [.. _units.Select(u => u.DocumentId != existing.Id ? u
            : u with { Title = metadata.Title, Tags = metadata.Tags, Scenario = metadata.Scenario, Language = metadata.Language })];
        _documents = new Dictionary<string, KnowledgeDocument>(_documents, StringComparer.Ordinal) { [existing.Id] = document };
        _search.Reindex(_units);
        return false;
    }

    /// <summary>
    /// Lower-cases the tags of documents a build before tags were lower-cased stored with capitals, in the catalog and in
    /// memory (the caller holds the write gate and lock, and has marked them for <see cref="StoreReadiness"/> to store again
    /// with the new tags: Qdrant filters its payload by exact value).
    /// </summary>
    private void LowerCaseTagsLocked(IReadOnlyList<string> documentIds)
    {
        foreach (var id in documentIds)
        {
            if (!_documents.TryGetValue(id, out var existing))
            {
                continue;
            }

            var tags = DocumentRules.NormaliseTags(existing.Tags);
            var document = existing with { Tags = tags };
            Committed(_catalog.UpdateMetadata(document));
            _units = [.. _units.Select(u => u.DocumentId != id ? u : u with { Tags = tags })];
            _documents = new Dictionary<string, KnowledgeDocument>(_documents, StringComparer.Ordinal) { [id] = document };
        }

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
