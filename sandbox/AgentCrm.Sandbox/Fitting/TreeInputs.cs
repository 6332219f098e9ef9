using AgentCrm.Agents;

namespace AgentCrm.Sandbox.Fitting;

/// <summary>
/// The fields a tree may split on, binned from the training cases alone: a numeric field's bins are
/// cut at up to <see cref="MaxBins"/> of its training values (bin i holds edges[i−1] ≤ x &lt; edges[i],
/// so a split "bin &lt; j" is exactly "x &lt; edges[j−1]"), a text field's bins are its training
/// categories in ordinal order. The last bin of every field holds unknown values.
/// </summary>
internal sealed class TreeInputs
{
    public const int MaxBins = 64;

    private TreeInputs(string[] fields, double[]?[] edges, string[]?[] categories)
    {
        Fields = fields;
        Edges = edges;
        Categories = categories;
        Bins = fields.Select((_, f) => (edges[f]?.Length + 1 ?? categories[f]!.Length) + 1).ToArray();
    }

    public string[] Fields { get; }

    /// <summary>Per field: numeric bin edges, or null for a text field.</summary>
    public double[]?[] Edges { get; }

    /// <summary>Per field: the categories (sorted ordinal), or null for a numeric field.</summary>
    public string[]?[] Categories { get; }

    /// <summary>Bins per field, the missing bin (the last one) included.</summary>
    public int[] Bins { get; }

    public int Count => Fields.Length;

    public static TreeInputs Build(IReadOnlyList<CustomerSnapshot> train, FeatureOptions o)
    {
        var names = train.SelectMany(s => s.Fields.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Where(n => !o.ExcludedFields.Contains(n, StringComparer.Ordinal));
        var fields = new List<string>();
        var edges = new List<double[]?>();
        var categories = new List<string[]?>();
        foreach (var name in names)
        {
            var present = train.Select(s => s.Fields.GetValueOrDefault(name)).OfType<SnapshotField>().ToList();
            if (present.Any(f => f.Text is not null))
            {
                var cats = present.Select(f => f.Text).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
                if (cats.Length < 2 || cats.Length > o.MaxCategories)
                    continue;
                fields.Add(name);
                edges.Add(null);
                categories.Add(cats);
                continue;
            }
            var sorted = present.Select(f => f.Number).OfType<double>().Order().ToArray();
            var distinct = sorted.Distinct().ToArray();
            if (distinct.Length < 2)
                continue;
            double[] cuts;
            if (distinct.Length <= MaxBins)
                cuts = distinct[1..];
            else
            {
                var list = new List<double>();
                for (var q = 1; q < MaxBins; q++)
                {
                    var edge = sorted[(int)((long)q * sorted.Length / MaxBins)];
                    if (edge > sorted[0] && (list.Count == 0 || edge > list[^1]))
                        list.Add(edge);
                }
                cuts = [.. list];
            }
            fields.Add(name);
            edges.Add(cuts);
            categories.Add(null);
        }
        return new TreeInputs([.. fields], [.. edges], [.. categories]);
    }

    /// <summary>Bins of every row, row-major (<c>row · Count + field</c>).</summary>
    public ushort[] Encode(IReadOnlyList<CustomerSnapshot> rows)
    {
        var x = new ushort[rows.Count * Count];
        var lookup = Categories.Select(c => c?.Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i, StringComparer.Ordinal)).ToArray();
        for (var r = 0; r < rows.Count; r++)
            for (var f = 0; f < Count; f++)
            {
                var missing = Bins[f] - 1;
                var field = rows[r].Fields.GetValueOrDefault(Fields[f]);
                int bin;
                if (Edges[f] is { } e)
                    bin = field?.Number is { } v ? UpperBound(e, v) : missing;
                else
                    bin = field?.Text is { } t && lookup[f]!.TryGetValue(t, out var i) ? i : missing;
                x[r * Count + f] = (ushort)bin;
            }
        return x;
    }

    /// <summary>How many edges are ≤ v.</summary>
    private static int UpperBound(double[] edges, double v)
    {
        int lo = 0, hi = edges.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (edges[mid] <= v)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
}
