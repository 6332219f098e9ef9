using AgentCrm.Knowledge.Text;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>An immutable in-memory BM25 index over a list of texts; rebuilt and swapped when documents change.</summary>
internal sealed class Bm25Index
{
    private const double K1 = 1.2;
    private const double B = 0.75;

    private readonly Dictionary<string, List<(int Text, int Frequency)>> _postings = new(StringComparer.Ordinal);
    private readonly int[] _lengths;
    private readonly double _averageLength;

    public Bm25Index(IReadOnlyList<string> texts)
        : this([.. texts.Select(Tokenizer.Words)])
    {
    }

    /// <summary>An index over texts already tokenised by <see cref="Tokenizer"/> (or the embedder's identical scan).</summary>
    public Bm25Index(IReadOnlyList<List<string>> tokenised)
    {
        _lengths = new int[tokenised.Count];
        for (var i = 0; i < tokenised.Count; i++)
        {
            var words = tokenised[i];
            _lengths[i] = words.Count;
            foreach (var group in words.GroupBy(w => w, StringComparer.Ordinal))
            {
                if (!_postings.TryGetValue(group.Key, out var list))
                {
                    _postings[group.Key] = list = [];
                }

                list.Add((i, group.Count()));
            }
        }

        _averageLength = tokenised.Count == 0 ? 0 : Math.Max(1, _lengths.Average());
    }

    /// <summary>Indices of the best <paramref name="k"/> texts that pass <paramref name="include"/>, best first.</summary>
    public List<int> Search(string query, int k, Func<int, bool> include)
    {
        var scores = new Dictionary<int, double>();
        foreach (var term in Tokenizer.Words(query).Distinct(StringComparer.Ordinal))
        {
            if (!_postings.TryGetValue(term, out var postings))
            {
                continue;
            }

            var idf = Math.Log(1 + ((_lengths.Length - postings.Count + 0.5) / (postings.Count + 0.5)));
            foreach (var (text, frequency) in postings)
            {
                var norm = frequency + (K1 * (1 - B + (B * _lengths[text] / _averageLength)));
                scores[text] = scores.GetValueOrDefault(text) + (idf * frequency * (K1 + 1) / norm);
            }
        }

        return [.. scores
            .Where(s => include(s.Key))
            .OrderByDescending(s => s.Value).ThenBy(s => s.Key)
            .Take(k)
            .Select(s => s.Key)];
    }
}
