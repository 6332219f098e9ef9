namespace AgentCrm.Agents.Text;

/// <summary>
/// The terms a text model knows, each with its inverse document frequency. A text becomes sub-linear
/// term frequency × idf, L2-normalised per block (words, characters), the blocks scaled so the whole
/// text has unit length: long and short sentences compare, and neither block drowns the other. Lexicon and shape
/// cues, when the featurizer has them, are a third block of length <see cref="TextFeaturizer.CueWeight"/>.
/// </summary>
public sealed class TextVocabulary
{
    private readonly Dictionary<string, int> _index;

    public TextVocabulary(TextFeaturizer featurizer, IReadOnlyList<string> terms, IReadOnlyList<double> idf)
    {
        if (terms.Count != idf.Count)
            throw new ArgumentException("terms and idf differ in length.", nameof(idf));
        Featurizer = featurizer;
        Terms = terms;
        Idf = idf;
        _index = new Dictionary<string, int>(terms.Count, StringComparer.Ordinal);
        for (var i = 0; i < terms.Count; i++)
            _index[terms[i]] = i;
    }

    public TextFeaturizer Featurizer { get; }

    public IReadOnlyList<string> Terms { get; }

    public IReadOnlyList<double> Idf { get; }

    public int Count => Terms.Count;

    public int IndexOf(string term) => _index.GetValueOrDefault(term, -1);

    public SparseVector Vectorize(string text)
    {
        var (words, chars) = Featurizer.Count(text);
        var entries = new List<(int Index, double Value)>(words.Count + chars.Count);
        var blocks = 0;
        if (Block(words, entries))
            blocks++;
        if (Block(chars, entries))
            blocks++;
        if (blocks == 2)
        {
            var scale = 1 / Math.Sqrt(2);
            for (var i = 0; i < entries.Count; i++)
                entries[i] = (entries[i].Index, entries[i].Value * scale);
        }
        if (Featurizer.HasCues)
        {
            // The cue block keeps its own length (CueWeight) beside the unit-length text blocks.
            var start = entries.Count;
            if (Block(Featurizer.Cues(text), entries))
                for (var i = start; i < entries.Count; i++)
                    entries[i] = (entries[i].Index, entries[i].Value * Featurizer.CueWeight);
        }
        if (entries.Count == 0)
            return SparseVector.Empty;
        entries.Sort((a, b) => a.Index.CompareTo(b.Index));
        return new SparseVector(entries.Select(e => e.Index).ToArray(), entries.Select(e => e.Value).ToArray());
    }

    private bool Block(Dictionary<string, int> counts, List<(int Index, double Value)> into)
    {
        var start = into.Count;
        double norm = 0;
        foreach (var (term, tf) in counts)
        {
            var i = IndexOf(term);
            if (i < 0)
                continue;
            var v = (1 + Math.Log(tf)) * Idf[i];
            into.Add((i, v));
            norm += v * v;
        }
        if (into.Count == start || norm == 0)
            return false;
        var inv = 1 / Math.Sqrt(norm);
        for (var k = start; k < into.Count; k++)
            into[k] = (into[k].Index, into[k].Value * inv);
        return true;
    }
}
