namespace AgentCrm.Sandbox.Fitting;

/// <summary>
/// Deterministic stratified splits by case index. Each class's indices (in case-set order) are
/// shuffled with <see cref="Random"/> seeded by the fit's seed (.NET's seeded <see cref="Random"/>
/// is stable across runtimes), then dealt out, so the class balance is kept in every part and the
/// same seed and file always give the same parts.
/// </summary>
internal static class StratifiedSplit
{
    /// <summary>The first <c>round(fraction · n)</c> shuffled indices of each class are held out.</summary>
    public static (int[] Train, int[] Test) HoldOut(IReadOnlyList<bool> labels, double fraction, int seed)
    {
        var train = new List<int>();
        var test = new List<int>();
        foreach (var cls in new[] { true, false })
        {
            var members = Shuffled(labels, cls, seed);
            var held = (int)Math.Round(fraction * members.Length, MidpointRounding.AwayFromZero);
            test.AddRange(members[..held]);
            train.AddRange(members[held..]);
        }
        train.Sort();
        test.Sort();
        return ([.. train], [.. test]);
    }

    /// <summary>Fold number (0..k-1) per position of <paramref name="labels"/>, dealt round-robin within each class.</summary>
    public static int[] Folds(IReadOnlyList<bool> labels, int k, int seed)
    {
        var fold = new int[labels.Count];
        foreach (var cls in new[] { true, false })
        {
            var members = Shuffled(labels, cls, seed);
            for (var i = 0; i < members.Length; i++)
                fold[members[i]] = i % k;
        }
        return fold;
    }

    private static int[] Shuffled(IReadOnlyList<bool> labels, bool cls, int seed)
    {
        var members = Enumerable.Range(0, labels.Count).Where(i => labels[i] == cls).ToArray();
        // One generator per class, so the positives' order does not depend on how many negatives there are.
        new Random(unchecked(seed * 2 + (cls ? 1 : 0))).Shuffle(members);
        return members;
    }

    /// <summary>
    /// Whole groups (e.g. documents) held out: the distinct groups, in order of first appearance, are shuffled
    /// with the seed and the first <c>round(fraction · groups)</c> are the test part, so no group is on both sides.
    /// </summary>
    public static (int[] Train, int[] Test) GroupHoldOut(IReadOnlyList<string> groups, double fraction, int seed)
    {
        var distinct = groups.Distinct(StringComparer.Ordinal).ToArray();
        new Random(seed).Shuffle(distinct);
        var held = distinct.Take((int)Math.Round(fraction * distinct.Length, MidpointRounding.AwayFromZero)).ToHashSet(StringComparer.Ordinal);
        var train = new List<int>();
        var test = new List<int>();
        for (var i = 0; i < groups.Count; i++)
            (held.Contains(groups[i]) ? test : train).Add(i);
        return ([.. train], [.. test]);
    }

    /// <summary>Fold number (0..k-1) per position, whole groups dealt round-robin after a seeded shuffle.</summary>
    public static int[] GroupFolds(IReadOnlyList<string> groups, int k, int seed)
    {
        var distinct = groups.Distinct(StringComparer.Ordinal).ToArray();
        new Random(seed).Shuffle(distinct);
        var foldOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < distinct.Length; i++)
            foldOf[distinct[i]] = i % k;
        return groups.Select(g => foldOf[g]).ToArray();
    }
}
