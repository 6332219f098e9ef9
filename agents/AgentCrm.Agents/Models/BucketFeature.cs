using System.Text.Json;

namespace AgentCrm.Agents.Models;

/// <summary>
/// A numeric field cut at ascending <see cref="Edges"/> into <c>edges + 1</c> buckets, one weight
/// each: bucket i holds <c>edges[i-1] ≤ x &lt; edges[i]</c>. Unknown values contribute nothing.
/// Lets a linear model bend (tenure matters most in the first months).
/// </summary>
public sealed class BucketFeature : ModelFeature
{
    public BucketFeature(string field, IReadOnlyList<double> edges, IReadOnlyList<double> weights, FeatureCondition? when = null)
        : base(when)
    {
        Inputs = [field];
        Edges = edges;
        Weights = weights;
    }

    public override string Kind => "bucket";

    public override IReadOnlyList<string> Inputs { get; }

    public IReadOnlyList<double> Edges { get; }

    public override IReadOnlyList<double> Weights { get; }

    public int? Bucket(CustomerSnapshot s)
    {
        if (s.Number(Inputs[0]) is not { } v)
            return null;
        var i = 0;
        while (i < Edges.Count && v >= Edges[i])
            i++;
        return i;
    }

    protected override void EncodeCore(CustomerSnapshot s, Span<double> x)
    {
        if (Bucket(s) is { } i)
            x[i] = 1;
    }

    public override ModelFeature WithWeights(ReadOnlySpan<double> weights) => new BucketFeature(Inputs[0], Edges, weights.ToArray(), When);

    internal override void WriteBody(Utf8JsonWriter w)
    {
        w.WriteString("field", Inputs[0]);
        w.WriteStartArray("edges");
        foreach (var e in Edges)
            w.WriteNumberValue(e);
        w.WriteEndArray();
        w.WriteStartArray("weights");
        foreach (var x in Weights)
            w.WriteNumberValue(x);
        w.WriteEndArray();
    }
}
