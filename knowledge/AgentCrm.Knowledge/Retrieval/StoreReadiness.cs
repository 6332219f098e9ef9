using System.Text.Json;
using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Stores;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>
/// Keeps the vector store holding what the catalog holds. Before the first call, and again after the store reports its
/// storage lost (<see cref="Lost"/>: Qdrant's collection deleted or emptied while the server ran): the store's collection
/// and indexes, and a restore when it came up empty while the catalog holds documents. The restore runs under the
/// service's write gate (no ingest or delete interleaves) and is marked in the catalog until it finishes, so one
/// interrupted halfway resumes on the next start or call. Searches arriving while it is not done share one attempt (a
/// store that hangs costs them one timeout, not one each); a failed attempt is retried by the next call.
/// Besides, every document a write is about to change in the store is marked in the catalog until the store holds what the
/// catalog does (<see cref="Mark"/>, <see cref="Unmark"/>); a write that fails halfway (Qdrant busy, a timeout, a crash)
/// leaves its mark, and <see cref="TryRepairAsync"/> stores the catalog's version again, or deletes a document the catalog
/// does not hold, so points a failed ingest left behind do not stay. A document whose records alone went missing from a
/// store that holds others (another client of a Qdrant collection deleted its points) is marked and stored again too, once
/// a search found none of it (<see cref="Lost"/>) or an ingest about to answer "unchanged" counted too few
/// (<see cref="RepairIfMissingAsync"/>).
/// </summary>
/// <param name="store">The vector store made ready.</param>
/// <param name="catalog">The catalog that marks a restore under way and the documents to repair.</param>
/// <param name="options">The knowledge options (dimension, data directory).</param>
/// <param name="writeGate">The service's write gate.</param>
/// <param name="units">The catalog's units as the service holds them now (without vectors).</param>
/// <param name="embed">Embeds units the way the service does.</param>
/// <param name="reload">Takes in what another process (the CLI) committed since (the caller holds the write gate).</param>
/// <param name="changed">Told after the store's records were restored or repaired (results found before may differ).</param>
/// <param name="logger">Logs repairs that failed (they are retried by the next write).</param>
/// <param name="lowerCaseTags">Lower-cases the tags of the given documents in the catalog (stored with capitals by an earlier build).</param>
internal sealed class StoreReadiness(
    IKnowledgeStore store,
    DocumentCatalog catalog,
    KnowledgeOptions options,
    SemaphoreSlim writeGate,
    Func<IReadOnlyList<KnowledgeRecord>> units,
    Func<List<KnowledgeRecord>, CancellationToken, Task<List<KnowledgeRecord>>> embed,
    Func<CancellationToken, Task> reload,
    Action changed,
    ILogger logger,
    Action<IReadOnlyList<string>> lowerCaseTags)
{
    private const string RestorePendingKey = "store.restore-pending";
    private const string RepairKey = "store.repair";
    private readonly Lock _lock = new();
    private Task? _attempt;
    private bool _ready;
    private readonly HashSet<string> _suspects = new(StringComparer.Ordinal);
    private long _generation;

    /// <summary>Counts the times the store was made ready; an operation notes it, so that only the first to see the store lost resets it.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <param name="cancellationToken">Cancels this caller's wait (a search's shared attempt runs on).</param>
    /// <param name="gateHeld">Whether the caller holds the write gate (a write); a search does not and shares one attempt.</param>
    public Task EnsureAsync(CancellationToken cancellationToken, bool gateHeld = true)
    {
        if (Volatile.Read(ref _ready))
        {
            return Task.CompletedTask;
        }

        if (gateHeld)
        {
            return MakeReadyAsync(cancellationToken, gateHeld: true);
        }

        Task attempt;
        lock (_lock)
        {
            attempt = _attempt is { IsCompleted: false } running ? running : _attempt = MakeReadyAsync(CancellationToken.None, gateHeld: false);
        }

        return attempt.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// An operation begun when the store was made ready for the <paramref name="generation"/>th time found its storage gone:
    /// the next <see cref="EnsureAsync"/> checks the store and restores it. Operations that saw the same loss reset it once.
    /// <paramref name="documentIds"/> are the documents whose records it found missing (a search that got none of those its
    /// filter accepts): when the store is not empty (another client of a Qdrant collection deleted only those), they are
    /// marked and stored again from the catalog (<see cref="TryRepairAsync"/>).
    /// </summary>
    public void Lost(long generation, IEnumerable<string>? documentIds = null)
    {
        lock (_lock)
        {
            if (Interlocked.Read(ref _generation) == generation)
            {
                Volatile.Write(ref _ready, false);
                _suspects.UnionWith(documentIds ?? []);
            }
        }
    }

    /// <summary>
    /// Stores the catalog's version of a document again now when the store holds fewer of its records than the catalog has
    /// units (the caller holds the write gate and lock). Marked first, so a failure (thrown) leaves it to the next write.
    /// </summary>
    public async Task RepairIfMissingAsync(string documentId, CancellationToken cancellationToken)
    {
        if (!await MissesRecordsAsync(documentId, cancellationToken))
        {
            return;
        }

        Mark([documentId]);
        try
        {
            await RepairAsync([documentId], cancellationToken);
        }
        finally
        {
            changed();
        }
    }

    /// <summary>Marks documents whose store records are about to change (the caller holds the write lock).</summary>
    public void Mark(IEnumerable<string> documentIds) => SaveMarks([.. Marked().Union(documentIds, StringComparer.Ordinal)]);

    /// <summary>The store holds what the catalog holds of these documents again.</summary>
    public void Unmark(IEnumerable<string> documentIds)
    {
        var marked = Marked();
        if (marked.Count > 0)
        {
            SaveMarks([.. marked.Except(documentIds, StringComparer.Ordinal)]);
        }
    }

    /// <summary>
    /// Stores the catalog's version of each marked document again (or deletes one the catalog does not hold), unmarking
    /// each when done; the caller holds the write gate and lock. A failure (the store still failing) is logged, leaves the
    /// rest marked for the next write, and does not fail the caller: searches cite only what the catalog holds meanwhile.
    /// The caller has taken in the catalog as committed (what it holds decides between storing again and deleting).
    /// </summary>
    public async Task<bool> TryRepairAsync(CancellationToken cancellationToken)
    {
        var marked = Marked();
        if (marked.Count == 0)
        {
            return true;
        }

        try
        {
            await RepairAsync(marked, cancellationToken);
            return true;
        }
        catch (Exception ex)
        {
            logger.RepairFailed(ex, marked.Count, string.Join(", ", marked.Take(10)));
            return false;
        }
        finally
        {
            // Some records may have changed even when the repair failed halfway.
            changed();
        }
    }

    private async Task MakeReadyAsync(CancellationToken cancellationToken, bool gateHeld)
    {
        if (!gateHeld)
        {
            await writeGate.WaitAsync(cancellationToken);
        }

        try
        {
            if (_ready)
            {
                return;
            }

            var empty = await store.EnsureReadyAsync(options.Dimension, cancellationToken);
            await reload(cancellationToken);
            var restore = (empty && units().Count > 0) || catalog.Meta(RestorePendingKey) is not null;
            // A restore stores every document again: nothing to count then.
            var missing = await MissingAsync(count: !restore, cancellationToken);
            if (restore || missing.Count > 0 || Marked().Count > 0 || CapitalTagged().Count > 0)
            {
                using var writeLock = await KnowledgeWriteLock.AcquireAsync(options.DataDirectory, cancellationToken);
                await reload(cancellationToken);
                // Documents a search found missing from a store that is not empty: marked, so the repair below (or, if it
                // fails, the next write or start) stores them again.
                if (missing.Count > 0)
                {
                    Mark(missing);
                }

                // Tags stored with capitals by a build before tags were lower-cased: marked first, so the store is given the
                // lower-cased tags even if this stops between the catalog's change and the store's (Qdrant filters by exact value).
                if (CapitalTagged() is { Count: > 0 } capitalTagged)
                {
                    Mark(capitalTagged);
                    lowerCaseTags(capitalTagged);
                }

                if (restore)
                {
                    catalog.SetMeta(RestorePendingKey, [1]);
                    try
                    {
                        await RestoreAsync(cancellationToken);
                    }
                    finally
                    {
                        changed();
                    }

                    catalog.SetMeta(RestorePendingKey, null);
                    Unmark(units().Select(u => u.DocumentId));
                }

                await TryRepairAsync(cancellationToken);
            }

            lock (_lock)
            {
                Interlocked.Increment(ref _generation);
                Volatile.Write(ref _ready, true);
            }
        }
        finally
        {
            if (!gateHeld)
            {
                writeGate.Release();
            }
        }
    }

    /// <summary>
    /// The vector store came up empty (a new Qdrant collection, a wiped store) while the catalog holds documents: their
    /// units are embedded again from the catalog's text and stored, so the content hashes that make a re-ingest
    /// "unchanged" never hide an empty vector side.
    /// </summary>
    private async Task RestoreAsync(CancellationToken cancellationToken)
    {
        foreach (var group in units().GroupBy(u => u.DocumentId, StringComparer.Ordinal))
        {
            var embedded = await embed(group.ToList(), cancellationToken);
            await store.ReplaceDocumentAsync(group.Key, embedded, cancellationToken);
        }
    }

    private async Task RepairAsync(IReadOnlyList<string> documentIds, CancellationToken cancellationToken)
    {
        var held = units().ToLookup(u => u.DocumentId, StringComparer.Ordinal);
        foreach (var documentId in documentIds)
        {
            if (held[documentId].ToList() is { Count: > 0 } documentUnits)
            {
                await store.ReplaceDocumentAsync(documentId, await embed(documentUnits, cancellationToken), cancellationToken);
            }
            else
            {
                await store.DeleteDocumentAsync(documentId, cancellationToken);
            }

            Unmark([documentId]);
            logger.Repaired(documentId, held[documentId].Any());
        }
    }

    /// <summary>
    /// Of the documents searches found missing (<see cref="Lost"/>), those the store holds fewer records of than the catalog
    /// has units; the rest were there after all (a restore or another repair came first). A store that cannot lose records
    /// behind the catalog's back (the embedded one) counts none.
    /// </summary>
    private async Task<List<string>> MissingAsync(bool count, CancellationToken cancellationToken)
    {
        List<string> suspects;
        lock (_lock)
        {
            suspects = [.. _suspects];
        }

        var missing = new List<string>();
        foreach (var documentId in count ? suspects : [])
        {
            if (await MissesRecordsAsync(documentId, cancellationToken))
            {
                missing.Add(documentId);
            }
        }

        lock (_lock)
        {
            _suspects.ExceptWith(suspects);
        }

        return missing;
    }

    private async Task<bool> MissesRecordsAsync(string documentId, CancellationToken cancellationToken) =>
        await store.CountDocumentRecordsAsync(documentId, cancellationToken) is { } held
        && held < units().Count(u => u.DocumentId == documentId);

    private List<string> CapitalTagged() =>
        [.. units().Where(u => !DocumentRules.AreNormal(u.Tags)).Select(u => u.DocumentId).Distinct(StringComparer.Ordinal)];

    private List<string> Marked() =>
        catalog.Meta(RepairKey) is { } value ? JsonSerializer.Deserialize<List<string>>(value) ?? [] : [];

    private void SaveMarks(List<string> documentIds) =>
        catalog.SetMeta(RepairKey, documentIds.Count == 0 ? null : JsonSerializer.SerializeToUtf8Bytes(documentIds));
}
