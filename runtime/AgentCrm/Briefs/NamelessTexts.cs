using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using AgentCrm.Agents;

namespace AgentCrm.Briefs;

/// <summary>
/// What an agent whose texts are functions of its fields (<see cref="ITextsFromFields"/>) writes for a stored brief without
/// the customer's identity (<see cref="BriefNaming"/>), kept per brief and registered version: a brief's texts and inputs never
/// change once written (a review changes its status only), so the answer for one brief under one manifest is always the same,
/// yet making it runs the agent's whole assessment two or three times — a list, the stream, every webhook attempt and every
/// reader paid that again for each brief (qa43e F2). Readers of one brief at once share one making; a making that throws is
/// not kept (the next read tries again). Only texts are kept (<see cref="BriefNaming.Rewrite"/>), bounded by entries and by
/// their characters; a full cache starts over. The manifest is compared by reference, so a version registered again reads afresh.
/// </summary>
internal sealed class NamelessTexts
{
    public const int MaxEntries = 4096;

    /// <summary>The most characters of text kept (two bytes each: 32 MiB).</summary>
    public const long MaxChars = 16L * 1024 * 1024;

    private Generation _current = new();
    private long _made;

    /// <summary>How many renderings were made (not found) since the start.</summary>
    public long Made => Interlocked.Read(ref _made);

    public BriefNaming.Rewrite GetOrAdd(string briefId, AgentManifest manifest, Func<BriefNaming.Rewrite> make)
    {
        var key = new Key(briefId, manifest);
        var generation = Volatile.Read(ref _current);
        if (generation.Entries.TryGetValue(key, out var found))
            return found.Value;
        if (generation.Count >= MaxEntries || generation.Chars >= MaxChars)
        {
            Interlocked.CompareExchange(ref _current, new Generation(), generation);
            generation = Volatile.Read(ref _current);
        }

        var entry = new Lazy<BriefNaming.Rewrite>(() =>
        {
            Interlocked.Increment(ref _made);
            return make();
        }, LazyThreadSafetyMode.ExecutionAndPublication);
        var kept = generation.Entries.GetOrAdd(key, entry);
        try
        {
            var value = kept.Value;
            if (ReferenceEquals(kept, entry))
                generation.Added(Chars(value));
            return value;
        }
        catch
        {
            // Lazy keeps what it threw: not for the next read of this brief.
            generation.Entries.TryRemove(new KeyValuePair<Key, Lazy<BriefNaming.Rewrite>>(key, kept));
            throw;
        }
    }

    private static long Chars(BriefNaming.Rewrite rewrite) => rewrite.Texts is { } texts
        ? texts.Named.Headline.Length + texts.Named.NextStep.Length + texts.Unnamed.Headline.Length + texts.Unnamed.NextStep.Length
            + texts.Unnamed.Reasons.Sum(r => (long)r.Explanation.Length + r.Field.Length)
        : 0;

    private readonly record struct Key(string BriefId, AgentManifest Manifest)
    {
        public bool Equals(Key other) => ReferenceEquals(Manifest, other.Manifest) && string.Equals(BriefId, other.BriefId, StringComparison.Ordinal);

        public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(BriefId), RuntimeHelpers.GetHashCode(Manifest));
    }

    private sealed class Generation
    {
        private int _count;
        private long _chars;

        public ConcurrentDictionary<Key, Lazy<BriefNaming.Rewrite>> Entries { get; } = new();

        public int Count => Volatile.Read(ref _count);

        public long Chars => Interlocked.Read(ref _chars);

        public void Added(long chars)
        {
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _chars, chars);
        }
    }
}
