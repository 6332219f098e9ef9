using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Stores;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>
/// Once per service: the store's collection and indexes, and a restore when it came up empty while the catalog holds
/// documents. The restore runs under the service's write gate (no ingest or delete interleaves) and is marked in the
/// catalog until it finishes, so one interrupted halfway resumes on the next start or call. Searches arriving while it
/// is not done share one attempt (a store that hangs costs them one timeout, not one each); a failed attempt is retried
/// by the next call.
/// </summary>
/// <param name="store">The vector store made ready.</param>
/// <param name="catalog">The catalog that marks a restore under way.</param>
/// <param name="options">The knowledge options (dimension, data directory).</param>
/// <param name="writeGate">The service's write gate.</param>
/// <param name="units">The catalog's units as the service holds them now (without vectors).</param>
/// <param name="embed">Embeds units the way the service does.</param>
internal sealed class StoreReadiness(
    IKnowledgeStore store,
    DocumentCatalog catalog,
    KnowledgeOptions options,
    SemaphoreSlim writeGate,
    Func<IReadOnlyList<KnowledgeRecord>> units,
    Func<List<KnowledgeRecord>, CancellationToken, Task<List<KnowledgeRecord>>> embed)
{
    private const string RestorePendingKey = "store.restore-pending";
    private readonly Lock _lock = new();
    private Task? _attempt;
    private bool _ready;

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
            if ((empty && units().Count > 0) || catalog.Meta(RestorePendingKey) is not null)
            {
                using var writeLock = await KnowledgeWriteLock.AcquireAsync(options.DataDirectory, cancellationToken);
                catalog.SetMeta(RestorePendingKey, [1]);
                await RestoreAsync(cancellationToken);
                catalog.SetMeta(RestorePendingKey, null);
            }

            Volatile.Write(ref _ready, true);
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
}
