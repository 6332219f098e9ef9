namespace AgentCrm.Agents.Text;

/// <summary>How far a mistyped name is from a known one, for "did you mean …?" (settings and CLI verbs alike).</summary>
public static class EditDistance
{
    /// <summary>Edits (insert, delete, replace, a swap of two neighbours counted as one) between two words, ignoring case.</summary>
    public static int Between(string a, string b)
    {
        (a, b) = (a.ToLowerInvariant(), b.ToLowerInvariant());
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    /// <summary>The known name closest to a mistyped <paramref name="word"/> (at most 2 edits, fewer than its length), or null.</summary>
    public static string? Closest(string word, IEnumerable<string> known) =>
        known.Distinct(StringComparer.Ordinal)
            // Lengths 3 apart are 3 edits at least: not measured (a name of 400,000 characters took a matrix per known name).
            .Where(name => Math.Abs(name.Length - word.Length) <= 2)
            .Select(name => (Name: name, Distance: Between(word, name)))
            .Where(c => c.Distance <= 2 && c.Distance < word.TrimStart('-').Length)
            .OrderBy(c => c.Distance)
            .FirstOrDefault().Name;
}
