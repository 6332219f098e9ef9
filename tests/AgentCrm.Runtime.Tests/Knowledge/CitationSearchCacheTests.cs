using AgentCrm.Knowledge;
using AgentCrm.Knowledge.Retrieval;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>The citation search cache's own rules: one knowledge version at a time, never an older one, and bounded.</summary>
public sealed class CitationSearchCacheTests
{
    private static readonly CitationSearchCache.Scope Renewal = new("renewal-risk", new HashSet<string>(StringComparer.Ordinal) { "handbook" });

    private static readonly KnowledgeHit[] Found = [new("handbook", "Rescue handbook", "Rescue handbook › Low NPS", "handbook#c0003", "chunk", 1, 0.42, "Call every detractor.")];

    [Fact]
    public void TryGet_AfterANewerVersion_Misses()
    {
        var cache = new CitationSearchCache();
        cache.Add(1, Key("NPS 2"), Found);
        Assert.True(cache.TryGet(1, Key("NPS 2"), out var kept));
        Assert.Same(Found, kept);

        Assert.False(cache.TryGet(2, Key("NPS 2"), out _));
        cache.Add(2, Key("4 unresolved tickets"), Found);
        Assert.False(cache.TryGet(1, Key("NPS 2"), out _));
        Assert.Equal((1, 2), (cache.Hits, cache.Misses));
    }

    [Fact]
    public void Add_FoundAtAnOlderVersionThanTheCurrent_IsDropped()
    {
        var cache = new CitationSearchCache();
        cache.Add(2, Key("NPS 2"), Found);
        cache.Add(1, Key("contract ends in 30 days"), Found);

        Assert.False(cache.TryGet(1, Key("contract ends in 30 days"), out _));
        Assert.False(cache.TryGet(2, Key("contract ends in 30 days"), out _));
        Assert.True(cache.TryGet(2, Key("NPS 2"), out _));
    }

    [Fact]
    public void Add_FullGeneration_StartsOverWithTheNewEntry()
    {
        var cache = new CitationSearchCache();
        for (var i = 0; i < CitationSearchCache.MaxEntries; i++)
            cache.Add(1, Key($"reason {i}"), Found);
        Assert.True(cache.TryGet(1, Key("reason 0"), out _));

        cache.Add(1, Key("one more"), Found);

        Assert.True(cache.TryGet(1, Key("one more"), out _));
        Assert.False(cache.TryGet(1, Key("reason 0"), out _));
    }

    [Fact]
    public void TryGet_SameDocumentsUnderAnotherScopeObject_Hits()
    {
        var cache = new CitationSearchCache();
        cache.Add(1, Key("NPS 2"), Found);
        var again = new CitationSearchCache.Scope("renewal-risk", new HashSet<string>(StringComparer.Ordinal) { "handbook" });
        var other = new CitationSearchCache.Scope("renewal-risk", new HashSet<string>(StringComparer.Ordinal) { "handbook", "parking" });

        Assert.True(cache.TryGet(1, new CitationSearchCache.Key("NPS 2", 3, 0.15, again), out _));
        Assert.False(cache.TryGet(1, new CitationSearchCache.Key("NPS 2", 3, 0.15, other), out _));
        Assert.False(cache.TryGet(1, new CitationSearchCache.Key("NPS 2", 4, 0.15, Renewal), out _));
        Assert.False(cache.TryGet(1, new CitationSearchCache.Key("NPS 2", 3, 0.2, Renewal), out _));
    }

    private static CitationSearchCache.Key Key(string query) => new(query, 3, 0.15, Renewal);
}
