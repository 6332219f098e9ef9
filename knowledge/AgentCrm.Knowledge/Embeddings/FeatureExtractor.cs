using AgentCrm.Knowledge.Text;

namespace AgentCrm.Knowledge.Embeddings;

/// <summary>
/// Hashed features of a text: word unigrams, word bigrams and character 3–5-grams of each word. A feature id is
/// <c>group &lt;&lt; <see cref="BitsPerGroup"/> | hash bits</c>, so IDF is an array lookup, not a dictionary one.
/// Counts go into a reusable per-thread scratch (<see cref="FeatureCounts"/>).
/// </summary>
internal static class FeatureExtractor
{
    public const int WordGroup = 0;
    public const int BigramGroup = 1;
    public const int CharGroup = 2;
    public const int GroupCount = 3;
    public const int BitsPerGroup = 16;
    public const int FeatureSpace = 4 << BitsPerGroup;

    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;
    private const int IdMask = (1 << BitsPerGroup) - 1;

    [ThreadStatic]
    private static FeatureCounts? _scratch;

    /// <summary>
    /// The per-thread counts of <paramref name="text"/>'s features; valid until the next call on this thread. When
    /// <paramref name="words"/> is given, the scanned words are appended to it too (the same tokens BM25 indexes), so a
    /// text is tokenised once for both.
    /// </summary>
    public static FeatureCounts Extract(string text, List<string>? words = null)
    {
        var counts = _scratch ??= new FeatureCounts();
        counts.Clear();
        Span<char> word = stackalloc char[WordScanner.MaxWordLength];
        Span<char> padded = stackalloc char[WordScanner.MaxWordLength + 2];
        var scanner = new WordScanner(text, word);
        var previous = 0UL;
        var first = true;
        while (scanner.Next(out var token))
        {
            words?.Add(token.ToString());
            var hash = Hash(FnvOffset, token);
            counts.Add(Id(WordGroup, hash));
            if (!first)
            {
                counts.Add(Id(BigramGroup, Mix((previous * FnvPrime) ^ hash)));
            }

            first = false;
            previous = hash;
            if (char.IsDigit(token[0]))
            {
                continue;
            }

            padded[0] = '<';
            token.CopyTo(padded[1..]);
            padded[token.Length + 1] = '>';
            var span = padded[..(token.Length + 2)];
            for (var n = 3; n <= 5; n++)
            {
                for (var start = 0; start + n <= span.Length; start++)
                {
                    counts.Add(Id(CharGroup, Hash(FnvOffset ^ (ulong)n, span.Slice(start, n))));
                }
            }
        }

        return counts;
    }

    public static int Group(int id) => id >> BitsPerGroup;

    private static int Id(int group, ulong hash) => (group << BitsPerGroup) | (int)(hash >> 40 & IdMask);

    private static ulong Hash(ulong hash, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            hash = (hash ^ c) * FnvPrime;
        }

        return Mix(hash);
    }

    /// <summary>A final avalanche so every bit of the hash depends on every input character.</summary>
    internal static ulong Mix(ulong hash)
    {
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return hash;
    }
}

/// <summary>Feature counts over the whole feature space, cleared by touched id so reuse costs nothing.</summary>
internal sealed class FeatureCounts
{
    private readonly int[] _counts = new int[FeatureExtractor.FeatureSpace];
    private readonly List<int> _ids = [];

    public IReadOnlyList<int> Ids => _ids;

    public int Count(int id) => _counts[id];

    public void Add(int id)
    {
        if (_counts[id]++ == 0)
        {
            _ids.Add(id);
        }
    }

    public void Clear()
    {
        foreach (var id in _ids)
        {
            _counts[id] = 0;
        }

        _ids.Clear();
    }
}
