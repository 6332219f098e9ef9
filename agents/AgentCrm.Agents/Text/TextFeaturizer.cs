using System.Text;

namespace AgentCrm.Agents.Text;

/// <summary>
/// The terms a text model counts: lower-cased word unigrams (<c>w word</c>), word bigrams (<c>b one two</c>) and
/// character n-grams inside each word padded with spaces (<c>c  wor</c>), the three levers that carry
/// wording, phrases and word forms. Pure and culture-invariant, so fit and live scoring see the same terms.
/// </summary>
public sealed record TextFeaturizer(int WordNgrams, int CharMin, int CharMax)
{
    /// <summary>Cue phrases by category (<see cref="TextLexicon"/>): terms <c>l category</c>; none when null.</summary>
    public TextLexicon? Lexicon { get; init; }

    /// <summary>Sentence-shape terms (<c>s …</c>): length bucket, mostly capitals, who the modal verbs bind (the provider's "may" or the user's).</summary>
    public bool Shape { get; init; }

    /// <summary>Length of the cue block (lexicon and shape terms, L2-normalised on its own) beside the word and character blocks.</summary>
    public double CueWeight { get; init; } = 0.5;

    public bool HasCues => Lexicon is not null || Shape;

    /// <summary>Subjects whose modal verbs bind the user rather than the provider.</summary>
    private static readonly HashSet<string> UserSubjects = new(["you", "user", "users", "i", "customer", "customers", "member", "members"], StringComparer.Ordinal);

    private static readonly HashSet<string> Modals = new(["may", "might", "can", "could", "shall", "will", "reserve", "reserves", "must"], StringComparer.Ordinal);

    /// <summary>Words longer than this are cut before character n-grams are taken (URLs, hashes).</summary>
    public const int MaxWordLength = 30;

    /// <summary>The default: word uni- and bigrams and character 3- to 5-grams.</summary>
    public static TextFeaturizer Default { get; } = new(2, 3, 5);

    public bool HasChars => CharMin > 0 && CharMax >= CharMin;

    /// <summary>Lower-cased runs of letters and digits.</summary>
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        foreach (var ch in text)
        {
            if (char.IsLetterOrDigit(ch))
                sb.Append(char.ToLowerInvariant(ch));
            else if (sb.Length > 0)
            {
                words.Add(sb.ToString());
                sb.Clear();
            }
        }
        if (sb.Length > 0)
            words.Add(sb.ToString());
        return words;
    }

    /// <summary>Term counts of one text, words and characters apart (each block is normalised on its own).</summary>
    public (Dictionary<string, int> Words, Dictionary<string, int> Chars) Count(string text)
    {
        var words = Words(text);
        var w = new Dictionary<string, int>(StringComparer.Ordinal);
        var c = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < words.Count; i++)
        {
            Add(w, "w " + words[i]);
            if (WordNgrams >= 2 && i + 1 < words.Count)
                Add(w, "b " + words[i] + " " + words[i + 1]);
            if (!HasChars)
                continue;
            var word = words[i].Length > MaxWordLength ? words[i][..MaxWordLength] : words[i];
            var padded = " " + word + " ";
            for (var n = CharMin; n <= CharMax; n++)
                for (var s = 0; s + n <= padded.Length; s++)
                    Add(c, "c " + padded.Substring(s, n));
        }
        return (w, c);
    }

    /// <summary>Lexicon and shape term counts of one text (empty without cues).</summary>
    public Dictionary<string, int> Cues(string text)
    {
        var cues = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!HasCues)
            return cues;
        var words = Words(text);
        Lexicon?.Count(words, cues);
        if (!Shape || words.Count == 0)
            return cues;
        Add(cues, words.Count switch
        {
            <= 5 => "s len 1-5",
            <= 12 => "s len 6-12",
            <= 25 => "s len 13-25",
            <= 50 => "s len 26-50",
            _ => "s len 51+",
        });
        int letters = 0, upper = 0;
        foreach (var ch in text)
            if (char.IsLetter(ch))
            {
                letters++;
                if (char.IsUpper(ch))
                    upper++;
            }
        if (letters >= 20 && upper >= 0.6 * letters)
            Add(cues, "s caps");
        for (var i = 0; i < words.Count; i++)
            if (Modals.Contains(words[i]))
                Add(cues, i > 0 && UserSubjects.Contains(words[i - 1]) ? "s user modal" : "s provider modal");
        return cues;
    }

    private static void Add(Dictionary<string, int> counts, string term) =>
        counts[term] = counts.GetValueOrDefault(term) + 1;
}
