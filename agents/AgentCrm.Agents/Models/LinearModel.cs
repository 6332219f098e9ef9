using System.Text.Json;

namespace AgentCrm.Agents.Models;

/// <summary>
/// A declarative logistic model: <c>logit = intercept + Σ features</c>. It lives in a manifest under
/// <c>parameters.model</c>, so a fitted version is fully described, and content-hashed, by its
/// manifest. Each feature's contribution is credited to the snapshot fields it reads (shared equally
/// when it reads several), so contributions per field always add up to <c>logit − intercept</c>.
/// </summary>
public sealed class LinearModel : RiskModel
{
    public const string TypeName = "logistic";

    public LinearModel(double intercept, IReadOnlyList<ModelFeature> features)
    {
        Intercept = intercept;
        Features = features;
        Width = features.Sum(f => f.Width);
        Fields = features.SelectMany(f => f.Fields).Distinct(StringComparer.Ordinal).ToArray();
    }

    public override string Type => TypeName;

    public double Intercept { get; }

    public override double Bias => Intercept;

    public IReadOnlyList<ModelFeature> Features { get; }

    /// <summary>Total number of inputs (and weights, without the intercept).</summary>
    public int Width { get; }

    public override IReadOnlyList<string> Fields { get; }

    /// <summary>All inputs of all features, concatenated (length <see cref="Width"/>).</summary>
    public void Encode(CustomerSnapshot s, Span<double> x)
    {
        var offset = 0;
        foreach (var f in Features)
        {
            f.Encode(s, x.Slice(offset, f.Width));
            offset += f.Width;
        }
    }

    /// <summary>All weights, concatenated in <see cref="Encode"/> order.</summary>
    public double[] Weights() => Features.SelectMany(f => f.Weights).ToArray();

    /// <summary>The same features with new weights (<paramref name="weights"/> in <see cref="Encode"/> order).</summary>
    public LinearModel WithWeights(double intercept, ReadOnlySpan<double> weights)
    {
        if (weights.Length != Width)
            throw new ArgumentException($"Expected {Width} weights, got {weights.Length}.", nameof(weights));
        var features = new ModelFeature[Features.Count];
        var offset = 0;
        for (var i = 0; i < features.Length; i++)
        {
            features[i] = Features[i].WithWeights(weights.Slice(offset, Features[i].Width));
            offset += Features[i].Width;
        }
        return new LinearModel(intercept, features);
    }

    public override double Logit(CustomerSnapshot s) => Evaluate(s).Logit;

    public override ModelEvaluation Evaluate(CustomerSnapshot s)
    {
        var byField = new double[Fields.Count];
        var logit = Intercept;
        Span<double> buffer = stackalloc double[64];
        foreach (var f in Features)
        {
            var x = f.Width <= buffer.Length ? buffer[..f.Width] : new double[f.Width];
            f.Encode(s, x);
            double c = 0;
            for (var i = 0; i < x.Length; i++)
                if (x[i] != 0)
                    c += x[i] * f.Weights[i];
            if (c == 0)
                continue;
            logit += c;
            var share = c / f.Fields.Count;
            foreach (var field in f.Fields)
                byField[IndexOf(field)] += share;
        }
        var contributions = new FieldContribution[Fields.Count];
        for (var i = 0; i < contributions.Length; i++)
            contributions[i] = new FieldContribution(Fields[i], byField[i]);
        return new ModelEvaluation(logit, contributions);
    }

    private int IndexOf(string field)
    {
        for (var i = 0; i < Fields.Count; i++)
            if (string.Equals(Fields[i], field, StringComparison.Ordinal))
                return i;
        return -1;
    }

    public static double Sigmoid(double logit) => 1 / (1 + Math.Exp(-logit));

    public override JsonElement ToJson() => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("type", TypeName);
        w.WriteNumber("intercept", Intercept);
        w.WriteStartArray("features");
        foreach (var f in Features)
            f.Write(w);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>Reads and strictly checks a model; throws <see cref="ManifestException"/> keyed by JSON path under <paramref name="path"/>.</summary>
    public static LinearModel FromJson(JsonElement json, string path = "parameters.model") => LinearModelReader.Read(json, path);
}

/// <summary>A model's output for one snapshot.</summary>
public sealed record ModelEvaluation(double Logit, IReadOnlyList<FieldContribution> Contributions);

/// <summary>The summed contribution (log-odds) of everything the model read from one field.</summary>
public sealed record FieldContribution(string Field, double Contribution);
