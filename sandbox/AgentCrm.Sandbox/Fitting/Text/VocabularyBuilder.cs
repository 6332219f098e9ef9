using AgentCrm.Agents.Text;

namespace AgentCrm.Sandbox.Fitting.Text;

/// <summary>
/// Chooses a vocabulary on training texts only, without looking at labels (so cross-validation inside the
/// training part is not biased): terms in at least <c>minDf</c> texts, the most frequent <c>maxWords</c>
/// word terms and <c>maxChars</c> character n-grams (ties by term) and every lexicon or shape cue, idf = ln((1 + n) / (1 + df)) + 1.
/// </summary>
internal static class VocabularyBuilder
{
    public static TextVocabulary Build(IReadOnlyList<string> texts, TextFeaturizer featurizer, int minDf, int maxWords, int maxChars,
        IReadOnlyList<string>? groups = null, int minGroups = 1)
    {
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        var termsOfGroup = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        for (var i = 0; i < texts.Count; i++)
        {
            var (words, chars) = featurizer.Count(texts[i]);
            HashSet<string>? groupTerms = null;
            if (groups is not null && !termsOfGroup.TryGetValue(groups[i], out groupTerms))
                termsOfGroup[groups[i]] = groupTerms = new HashSet<string>(StringComparer.Ordinal);
            foreach (var t in words.Keys.Concat(chars.Keys).Concat(featurizer.Cues(texts[i]).Keys))
            {
                df[t] = df.GetValueOrDefault(t) + 1;
                groupTerms?.Add(t);
            }
        }
        // Terms found in too few documents (a company's name) do not generalise to other documents.
        var spread = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var terms in termsOfGroup.Values)
            foreach (var t in terms)
                spread[t] = spread.GetValueOrDefault(t) + 1;
        bool Spread(string term) => groups is null || spread.GetValueOrDefault(term) >= minGroups;
        IEnumerable<KeyValuePair<string, int>> Top(bool chars, int max) => df
            .Where(e => e.Value >= minDf && e.Key.StartsWith('c') == chars && !IsCue(e.Key) && Spread(e.Key))
            .OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal).Take(max);
        // Lexicon and shape cues are few and generic: every one seen in minDf texts is kept.
        var cues = df.Where(e => e.Value >= minDf && IsCue(e.Key));
        var chosen = Top(false, maxWords).Concat(Top(true, maxChars)).Concat(cues).OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        var n = texts.Count;
        static bool IsCue(string term) => term.StartsWith("l ", StringComparison.Ordinal) || term.StartsWith("s ", StringComparison.Ordinal);
        return new TextVocabulary(featurizer, chosen.Select(e => e.Key).ToArray(),
            chosen.Select(e => Math.Round(Math.Log((1.0 + n) / (1.0 + e.Value)) + 1, 4)).ToArray());
    }
}
