using System.Globalization;
using AgentCrm.Agents;
using AgentCrm.Agents.Models;
using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox.Fitting;

/// <summary>
/// Builds a model's features (weights zero) from the training cases: which fields exist, whether they
/// are text or numbers, their categories, means, spreads and quantiles. Only training cases are read,
/// so nothing about held-out cases leaks into the features. Every choice is in sorted order, so the
/// same cases give the same features.
/// </summary>
internal static class FeatureRecipe
{
    private const int SmallIntegerMaxValues = 12;

    public static LinearModel Build(IReadOnlyList<Case> train, FeatureOptions o)
    {
        var snapshots = train.Select(c => c.Snapshot).ToArray();
        var labels = train.Select(c => c.Label).ToArray();
        var fields = Inventory(snapshots).Where(f => !o.ExcludedFields.Contains(f.Name, StringComparer.Ordinal)).ToList();
        var features = new List<ModelFeature>();

        var categorical = new List<(string Field, double Gain)>();
        var continuous = new List<FieldInfo>();
        foreach (var f in fields)
        {
            if (f.IsText)
            {
                if (f.Distinct <= o.MaxCategories && Categorical([f.Name], snapshots, o.MinCategoryCount) is { } c)
                {
                    features.Add(c);
                    categorical.Add((f.Name, InformationGain(c, snapshots, labels)));
                }
                continue;
            }
            var distinct = f.Numbers.Distinct().Count();
            if (distinct < 2)
                continue;
            var isContinuous = distinct > SmallIntegerMaxValues || f.Numbers.Any(v => v != Math.Floor(v));
            var transform = o.LogTransform && isContinuous && f.Numbers.Min() >= 0 && Skewness(f.Numbers) > 1 ? NumericFeature.Log1p : NumericFeature.None;
            if (Numeric(NumericSource.Field, [f.Name], transform, snapshots, o.MissingIndicators && f.Missing > 0) is { } n)
                features.Add(n);
            if (!isContinuous && distinct > 2 && o.SmallIntegerCategories && Categorical([f.Name], snapshots, o.MinCategoryCount) is { } small)
            {
                features.Add(small);
                categorical.Add((f.Name, InformationGain(small, snapshots, labels)));
            }
            if (isContinuous)
            {
                continuous.Add(f with { Transform = transform });
                if (o.QuantileBuckets > 1 && Bucket(f, o.QuantileBuckets) is { } b)
                    features.Add(b);
            }
        }

        if (o.Counts)
            features.AddRange(Counts(fields, snapshots));
        if (o.Ratios)
            for (var i = 0; i < continuous.Count; i++)
                for (var j = i + 1; j < continuous.Count; j++)
                    if (continuous[i].Numbers.Min() >= 0 && continuous[j].Numbers.Min() >= 0
                        && Numeric(NumericSource.Ratio, [continuous[i].Name, continuous[j].Name], o.LogTransform ? NumericFeature.Log1p : NumericFeature.None, snapshots, false) is { } r)
                        features.Add(r);

        var ranked = categorical.OrderByDescending(c => c.Gain).ThenBy(c => c.Field, StringComparer.Ordinal).Select(c => c.Field).ToList();
        var top = ranked.Take(o.CrossedFields).ToList();
        for (var i = 0; i < top.Count; i++)
            for (var j = i + 1; j < top.Count; j++)
                if (Categorical([top[i], top[j]], snapshots, o.MinCategoryCount) is { } cross)
                    features.Add(cross);

        if (o.SlopesByTopCategory && ranked.Count > 0)
        {
            var by = ranked[0];
            foreach (var category in snapshots.Select(s => ModelFeatureKey(s, by)).OfType<string>().Distinct().Order(StringComparer.Ordinal))
            {
                var when = new FeatureCondition(by, IsNumberKey(snapshots, by) ? new FieldValue(null, double.Parse(category, CultureInfo.InvariantCulture)) : new FieldValue(category, null));
                var members = snapshots.Where(when.Holds).ToArray();
                if (members.Length < o.MinCategoryCount * 10)
                    continue;
                foreach (var f in continuous)
                    if (f.Name != by && Numeric(NumericSource.Field, [f.Name], f.Transform, members, false, when) is { } slope)
                        features.Add(slope);
            }
        }
        return new LinearModel(0, features);
    }

    private sealed record FieldInfo(string Name, bool IsText, List<double> Numbers, int Missing, int Distinct)
    {
        public string Transform { get; init; } = NumericFeature.None;
    }

    private static List<FieldInfo> Inventory(CustomerSnapshot[] snapshots)
    {
        var names = snapshots.SelectMany(s => s.Fields.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var result = new List<FieldInfo>();
        foreach (var name in names)
        {
            var present = snapshots.Where(s => s.Fields.ContainsKey(name)).Select(s => s.Fields[name]).ToList();
            var isText = present.Any(f => f.Text is not null);
            var distinct = present.Select(f => f.Text ?? f.Number?.ToString("R", CultureInfo.InvariantCulture)).Distinct(StringComparer.Ordinal).Count();
            result.Add(new FieldInfo(name, isText, isText ? [] : present.Select(f => f.Number!.Value).ToList(), snapshots.Length - present.Count, distinct));
        }
        return result;
    }

    private static CategoricalFeature? Categorical(string[] inputs, CustomerSnapshot[] snapshots, int minCount)
    {
        var probe = new CategoricalFeature(inputs, [], []);
        var categories = snapshots.Select(probe.Category).OfType<string>()
            .GroupBy(c => c, StringComparer.Ordinal).Where(g => g.Count() >= minCount)
            .Select(g => g.Key).Order(StringComparer.Ordinal).ToArray();
        return categories.Length < 2 ? null : new CategoricalFeature(inputs, categories, new double[categories.Length]);
    }

    private static NumericFeature? Numeric(NumericSource source, string[] inputs, string transform, CustomerSnapshot[] snapshots, bool missingIndicator, FeatureCondition? when = null, FieldValue? countValue = null)
    {
        var probe = new NumericFeature(source, inputs, transform, 0, 1, 0, countValue: countValue);
        var values = snapshots.Select(probe.Value).OfType<double>().ToArray();
        if (values.Length < 2)
            return null;
        var mean = values.Average();
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
        return std < 1e-9 ? null : new NumericFeature(source, inputs, transform, mean, std, 0, missingIndicator ? 0 : null, countValue, when);
    }

    private static BucketFeature? Bucket(FieldInfo f, int buckets)
    {
        var sorted = f.Numbers.Order().ToArray();
        var edges = new List<double>();
        for (var q = 1; q < buckets; q++)
        {
            var edge = sorted[(int)((long)q * sorted.Length / buckets)];
            if (edge > sorted[0] && (edges.Count == 0 || edge > edges[^1]))
                edges.Add(edge);
        }
        return edges.Count == 0 ? null : new BucketFeature(f.Name, edges, new double[edges.Count + 1]);
    }

    /// <summary>For each prefix with three or more text fields, one count per value that three or more of them take.</summary>
    private static IEnumerable<NumericFeature> Counts(List<FieldInfo> fields, CustomerSnapshot[] snapshots)
    {
        foreach (var group in fields.Where(f => f.IsText).GroupBy(f => f.Name[..f.Name.IndexOf('.', StringComparison.Ordinal)], StringComparer.Ordinal))
        {
            var members = group.Select(f => f.Name).ToArray();
            if (members.Length < 3)
                continue;
            var values = members
                .SelectMany(m => snapshots.Select(s => s.Text(m)).OfType<string>().Distinct(StringComparer.Ordinal))
                .GroupBy(v => v, StringComparer.Ordinal).Where(g => g.Count() >= 3).Select(g => g.Key).Order(StringComparer.Ordinal);
            foreach (var value in values)
                if (Numeric(NumericSource.Count, members, NumericFeature.None, snapshots, false, countValue: new FieldValue(value, null)) is { } count)
                    yield return count;
        }
    }

    /// <summary>How much knowing the category reduces the label's entropy (bits), on the training cases.</summary>
    private static double InformationGain(CategoricalFeature c, CustomerSnapshot[] snapshots, bool[] labels)
    {
        var groups = new Dictionary<string, (int N, int Pos)>(StringComparer.Ordinal);
        for (var i = 0; i < snapshots.Length; i++)
        {
            var key = c.Category(snapshots[i]) ?? "";
            var (n, pos) = groups.GetValueOrDefault(key);
            groups[key] = (n + 1, pos + (labels[i] ? 1 : 0));
        }
        var total = Entropy(labels.Count(l => l), labels.Length);
        var conditional = groups.Values.Sum(g => (double)g.N / labels.Length * Entropy(g.Pos, g.N));
        return total - conditional;
    }

    private static double Entropy(int pos, int n)
    {
        if (pos == 0 || pos == n)
            return 0;
        var p = (double)pos / n;
        return -(p * Math.Log2(p) + (1 - p) * Math.Log2(1 - p));
    }

    private static double Skewness(List<double> values)
    {
        var mean = values.Average();
        var m2 = values.Sum(v => (v - mean) * (v - mean)) / values.Count;
        var m3 = values.Sum(v => Math.Pow(v - mean, 3)) / values.Count;
        return m2 <= 0 ? 0 : m3 / Math.Pow(m2, 1.5);
    }

    private static string? ModelFeatureKey(CustomerSnapshot s, string field) =>
        s.Fields.TryGetValue(field, out var f) ? f.Text ?? f.Number?.ToString("R", CultureInfo.InvariantCulture) : null;

    private static bool IsNumberKey(CustomerSnapshot[] snapshots, string field) =>
        snapshots.Any(s => s.Fields.TryGetValue(field, out var f) && f.Number is not null);
}
