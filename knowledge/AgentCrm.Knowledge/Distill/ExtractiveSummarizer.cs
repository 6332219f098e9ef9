using AgentCrm.Knowledge.Text;

namespace AgentCrm.Knowledge.Distill;

/// <summary>TextRank over TF-IDF cosine similarity between sentences: the most central sentences summarise the section.</summary>
internal static class ExtractiveSummarizer
{
    private const double Damping = 0.85;
    private const int Iterations = 30;

    /// <summary>Indices of the <paramref name="count"/> most central sentences, in original order.</summary>
    public static IReadOnlyList<int> Select(IReadOnlyList<string> sentences, int count)
    {
        if (sentences.Count <= count)
        {
            return [.. Enumerable.Range(0, sentences.Count)];
        }

        var vectors = TfIdf(sentences);
        var n = sentences.Count;
        var weights = new double[n, n];
        var rowSums = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var similarity = Cosine(vectors[i], vectors[j]);
                weights[i, j] = weights[j, i] = similarity;
                rowSums[i] += similarity;
                rowSums[j] += similarity;
            }
        }

        var rank = Enumerable.Repeat(1.0 / n, n).ToArray();
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var next = new double[n];
            for (var i = 0; i < n; i++)
            {
                var sum = 0.0;
                for (var j = 0; j < n; j++)
                {
                    if (rowSums[j] > 0)
                    {
                        sum += weights[j, i] / rowSums[j] * rank[j];
                    }
                }

                next[i] = ((1 - Damping) / n) + (Damping * sum);
            }

            rank = next;
        }

        // Ties go to the earlier sentence: openings of legal and guidance text tend to state the rule.
        return [.. Enumerable.Range(0, n).OrderByDescending(i => rank[i]).ThenBy(i => i).Take(count).Order()];
    }

    /// <summary>Sentence vectors as term ids sorted ascending with their TF-IDF weights, pre-normalised to unit length.</summary>
    private static (int[] Terms, double[] Weights)[] TfIdf(IReadOnlyList<string> sentences)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var tokens = sentences.Select(s => Tokenizer.Words(s).Select(w => ids.TryGetValue(w, out var id) ? id : ids[w] = ids.Count).ToArray()).ToArray();
        var df = new int[ids.Count];
        foreach (var sentence in tokens)
        {
            foreach (var term in sentence.Distinct())
            {
                df[term]++;
            }
        }

        return [.. tokens.Select(sentence =>
        {
            var groups = sentence.GroupBy(t => t).OrderBy(g => g.Key).ToArray();
            var weights = groups.Select(g => (1 + Math.Log(g.Count())) * Math.Log((sentences.Count + 1.0) / df[g.Key])).ToArray();
            var norm = Math.Sqrt(weights.Sum(w => w * w));
            return (groups.Select(g => g.Key).ToArray(), norm == 0 ? weights : [.. weights.Select(w => w / norm)]);
        })];
    }

    private static double Cosine((int[] Terms, double[] Weights) a, (int[] Terms, double[] Weights) b)
    {
        double dot = 0;
        for (int i = 0, j = 0; i < a.Terms.Length && j < b.Terms.Length;)
        {
            if (a.Terms[i] == b.Terms[j])
            {
                dot += a.Weights[i++] * b.Weights[j++];
            }
            else if (a.Terms[i] < b.Terms[j])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return dot;
    }
}
