using System.Text.Json;

namespace AgentCrm.Agents.Models;

/// <summary>Where a numeric feature's value comes from.</summary>
public enum NumericSource
{
    /// <summary>One numeric field (<c>kind: numeric</c>).</summary>
    Field,

    /// <summary>The first field divided by the second; unknown when either is unknown or the divisor is 0.</summary>
    Ratio,

    /// <summary>The product of two numeric fields.</summary>
    Product,

    /// <summary>How many of the fields equal a value (e.g. services that are "yes"); never unknown.</summary>
    Count,
}

/// <summary>
/// A standardised scalar: <c>weight · (t(x) − mean) / std</c>, with t the optional transform. An
/// unknown value contributes nothing (it is taken as the mean) plus <c>missingWeight</c> when the
/// model has a missing indicator.
/// </summary>
public sealed class NumericFeature : ModelFeature
{
    public const string Log1p = "log1p";
    public const string None = "none";

    public NumericFeature(NumericSource source, IReadOnlyList<string> inputs, string transform, double mean, double std, double weight,
        double? missingWeight = null, FieldValue? countValue = null, FeatureCondition? when = null)
        : base(when)
    {
        Source = source;
        Inputs = inputs;
        Transform = transform;
        Mean = mean;
        Std = std;
        Weight = weight;
        MissingWeight = missingWeight;
        CountValue = countValue;
        Weights = missingWeight is { } m ? [weight, m] : [weight];
    }

    public NumericSource Source { get; }

    public override string Kind => Source switch
    {
        NumericSource.Ratio => "ratio",
        NumericSource.Product => "product",
        NumericSource.Count => "count",
        _ => "numeric",
    };

    public override IReadOnlyList<string> Inputs { get; }

    /// <summary><see cref="None"/> or <see cref="Log1p"/> (sign(x)·ln(1+|x|), for skewed amounts).</summary>
    public string Transform { get; }

    public double Mean { get; }

    public double Std { get; }

    public double Weight { get; }

    public double? MissingWeight { get; }

    /// <summary>The value counted by <see cref="NumericSource.Count"/>.</summary>
    public FieldValue? CountValue { get; }

    public override IReadOnlyList<double> Weights { get; }

    /// <summary>The transformed value before standardising, or null when unknown.</summary>
    public double? Value(CustomerSnapshot s)
    {
        double? raw = Source switch
        {
            NumericSource.Ratio => s.Number(Inputs[0]) is { } a && s.Number(Inputs[1]) is { } b && b != 0 ? a / b : null,
            NumericSource.Product => s.Number(Inputs[0]) is { } a && s.Number(Inputs[1]) is { } b ? a * b : null,
            NumericSource.Count => Inputs.Count(f => CountValue!.Matches(s, f)),
            _ => s.Number(Inputs[0]),
        };
        return raw is { } v && Transform == Log1p ? Math.Sign(v) * Math.Log(1 + Math.Abs(v)) : raw;
    }

    protected override void EncodeCore(CustomerSnapshot s, Span<double> x)
    {
        var v = Value(s);
        if (v is { } value)
            x[0] = (value - Mean) / Std;
        else if (MissingWeight is not null)
            x[1] = 1;
    }

    public override ModelFeature WithWeights(ReadOnlySpan<double> weights) =>
        new NumericFeature(Source, Inputs, Transform, Mean, Std, weights[0], MissingWeight is null ? null : weights[1], CountValue, When);

    internal override void WriteBody(Utf8JsonWriter w)
    {
        if (Source == NumericSource.Field)
            w.WriteString("field", Inputs[0]);
        else
        {
            w.WriteStartArray("fields");
            foreach (var f in Inputs)
                w.WriteStringValue(f);
            w.WriteEndArray();
        }
        if (CountValue is { } value)
        {
            w.WritePropertyName("value");
            value.Write(w);
        }
        if (Transform != None)
            w.WriteString("transform", Transform);
        w.WriteNumber("mean", Mean);
        w.WriteNumber("std", Std);
        w.WriteNumber("weight", Weight);
        if (MissingWeight is { } m)
            w.WriteNumber("missingWeight", m);
    }
}
