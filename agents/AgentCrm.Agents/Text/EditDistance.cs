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
    public static string? Closest(string word, IEnumerable<string> known)
    {
        var lower = word.ToLowerInvariant();
        var limit = Math.Min(2, word.TrimStart('-').Length - 1);
        (string? Name, int Distance) best = (null, int.MaxValue);
        foreach (var name in known)
        {
            // Lengths 3 apart are 3 edits at least: not measured (a name of 400,000 characters took a matrix per known name).
            if (Math.Abs(name.Length - word.Length) > 2)
                continue;
            var distance = Within(lower, name.ToLowerInvariant(), Math.Min(limit, best.Distance - 1));
            if (distance < best.Distance)
                best = (name, distance);
        }
        return best.Name;
    }

    /// <summary>
    /// <see cref="Between"/> for lower-case words when it is at most <paramref name="max"/>; otherwise <see cref="int.MaxValue"/>.
    /// Only cells within <paramref name="max"/> of the diagonal are measured (any other is more), and it stops once two rows in
    /// a row pass <paramref name="max"/> (no later cell can come back under it).
    /// </summary>
    private static int Within(string a, string b, int max)
    {
        if (max < 0 || Math.Abs(a.Length - b.Length) > max)
            return int.MaxValue;
        var over = max + 1;
        var (older, previous, current) = (new int[b.Length + 1], new int[b.Length + 1], new int[b.Length + 1]);
        Array.Fill(older, over);
        for (var j = 0; j <= b.Length; j++)
            previous[j] = Math.Min(j, over);
        var previousOver = false;
        for (var i = 1; i <= a.Length; i++)
        {
            Array.Fill(current, over);
            current[0] = Math.Min(i, over);
            var least = current[0];
            for (var j = Math.Max(1, i - max); j <= Math.Min(b.Length, i + max); j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var d = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d = Math.Min(d, older[j - 2] + 1);
                current[j] = Math.Min(d, over);
                least = Math.Min(least, current[j]);
            }
            if (least > max && previousOver)
                return int.MaxValue;
            previousOver = least > max;
            (older, previous, current) = (previous, current, older);
        }
        return previous[b.Length] <= max ? previous[b.Length] : int.MaxValue;
    }
}
