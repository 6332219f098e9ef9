using System.Collections.Concurrent;
using AgentCrm.Knowledge.Retrieval;

namespace AgentCrm.Knowledge;

/// <summary>
/// The hits of brief citations' searches, kept for one version of the knowledge (<see cref="KnowledgeService.SearchVersion"/>):
/// briefs of one agent give the same few reasons again and again ("NPS 2", "4 unresolved tickets"), and each search costs
/// an embedding, a vector scan and two BM25 rankings. Everything is kept in one generation per version; a newer version
/// replaces it whole, so an ingest, delete or re-index makes every earlier result unreachable at once (and its memory
/// free). A generation is bounded by entries and by an estimate of its bytes; a full one starts over. Reads take no lock.
/// </summary>
/// <remarks>
/// Not <c>MemoryCache</c>: with the version in the key, every entry of an older version is dead the moment the version
/// changes, yet it would stay (and count against the size limit) until a compaction; and its per-read bookkeeping (last
/// access, expiry checks) buys nothing here. Dropping a whole dictionary is both the invalidation and the eviction.
/// </remarks>
internal sealed class CitationSearchCache
{
    public const int MaxEntries = 4096;
    public const long MaxBytes = 16L * 1024 * 1024;

    private Generation _current = new(-1);
    private long _hits;
    private long _misses;

    /// <summary>Lookups answered from the cache since the start.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that had to search since the start.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>The document set a scenario's briefs may cite at <paramref name="version"/>, made once per version.</summary>
    public Scope ScopeFor(long version, string scenario, Func<Scope> make)
    {
        var generation = GenerationFor(version);
        return generation?.Scopes.GetOrAdd(scenario, static (_, make) => make(), make) ?? make();
    }

    public bool TryGet(long version, in Key key, out KnowledgeHit[] hits)
    {
        var generation = Volatile.Read(ref _current);
        if (generation.Version == version && generation.Hits.TryGetValue(key, out hits!))
        {
            Interlocked.Increment(ref _hits);
            return true;
        }

        Interlocked.Increment(ref _misses);
        hits = [];
        return false;
    }

    /// <summary>Keeps what a search found at <paramref name="version"/> (read before it searched); dropped when a newer version is current.</summary>
    public void Add(long version, Key key, KnowledgeHit[] hits)
    {
        if (GenerationFor(version) is not { } generation)
            return;
        var bytes = Estimate(key, hits);
        if (generation.Count >= MaxEntries || generation.Bytes + bytes > MaxBytes)
        {
            // Full: start over at this version (the reasons that keep coming back are found again at once).
            var fresh = new Generation(version);
            foreach (var (scenario, scope) in generation.Scopes)
                fresh.Scopes.TryAdd(scenario, scope);
            generation = Interlocked.CompareExchange(ref _current, fresh, generation) == generation ? fresh : Volatile.Read(ref _current);
            if (generation.Version != version)
                return;
        }

        if (generation.Hits.TryAdd(key, hits))
            generation.Added(bytes);
    }

    /// <summary>The current generation, replaced by one for <paramref name="version"/> when that is newer; null when it is older.</summary>
    private Generation? GenerationFor(long version)
    {
        while (true)
        {
            var current = Volatile.Read(ref _current);
            if (current.Version == version)
                return current;
            if (current.Version > version)
                return null;
            var made = new Generation(version);
            if (Interlocked.CompareExchange(ref _current, made, current) == current)
                return made;
        }
    }

    // Strings are two bytes a character; each object and array adds a header (and the dictionary an entry) of about 24–40 bytes.
    private static long Estimate(in Key key, KnowledgeHit[] hits)
    {
        long bytes = 64 + 2L * key.Query.Length + 24 + 8L * hits.Length;
        foreach (var h in hits)
            bytes += 96 + 2L * (h.DocumentId.Length + h.Title.Length + h.Section.Length + h.ChunkId.Length + h.Kind.Length + h.Snippet.Length);
        return bytes;
    }

    /// <summary>The ids a scenario's briefs may cite, and the scenario (the scope's name in the key at one version).</summary>
    public sealed record Scope(string Scenario, IReadOnlySet<string> Documents);

    /// <summary>
    /// A search as briefs ask it. Within one version a scenario's scope is one object (<see cref="ScopeFor"/>), so the
    /// document sets are compared only when a generation started over and made it again.
    /// </summary>
    public readonly record struct Key(string Query, int K, double? MinScore, Scope Scope)
    {
        public bool Equals(Key other) =>
            K == other.K && MinScore == other.MinScore && string.Equals(Query, other.Query, StringComparison.Ordinal)
            && (ReferenceEquals(Scope, other.Scope)
                || (Scope.Scenario == other.Scope.Scenario && Scope.Documents.SetEquals(other.Scope.Documents)));

        public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(Query), K, MinScore, Scope.Scenario);
    }

    private sealed class Generation(long version)
    {
        private long _bytes;
        private int _count;

        public long Version { get; } = version;

        public ConcurrentDictionary<Key, KnowledgeHit[]> Hits { get; } = new();

        public ConcurrentDictionary<string, Scope> Scopes { get; } = new(StringComparer.Ordinal);

        public int Count => Volatile.Read(ref _count);

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Added(long bytes)
        {
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _bytes, bytes);
        }
    }
}
