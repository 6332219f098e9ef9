using System.Globalization;
using System.Text.Json;

namespace AgentCrm.Agents.Models;

/// <summary>
/// One term of a <see cref="LinearModel"/>: reads snapshot fields, encodes them into
/// <see cref="Width"/> inputs, and holds one weight per input. Fitting and scoring share
/// <see cref="Encode"/>, so a fitted model scores live exactly as it scored when it was fitted.
/// </summary>
public abstract class ModelFeature
{
    protected ModelFeature(FeatureCondition? when) => When = when;

    /// <summary>The feature's JSON <c>kind</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>Only when this holds does the feature contribute (an interaction with a category); otherwise its inputs are zero.</summary>
    public FeatureCondition? When { get; }

    /// <summary>The fields the value is computed from.</summary>
    public abstract IReadOnlyList<string> Inputs { get; }

    /// <summary>Every field the feature reads (inputs, then the condition's field), each once; its contribution is shared among them.</summary>
    public IReadOnlyList<string> Fields => When is { } w && !Inputs.Contains(w.Field, StringComparer.Ordinal) ? [.. Inputs, w.Field] : Inputs;

    public abstract IReadOnlyList<double> Weights { get; }

    public int Width => Weights.Count;

    /// <summary>Writes the feature's inputs into <paramref name="x"/> (length <see cref="Width"/>).</summary>
    public void Encode(CustomerSnapshot s, Span<double> x)
    {
        x.Clear();
        if (When is { } w && !w.Holds(s))
            return;
        EncodeCore(s, x);
    }

    /// <summary>A copy with other weights (same length and order as <see cref="Weights"/>).</summary>
    public abstract ModelFeature WithWeights(ReadOnlySpan<double> weights);

    protected abstract void EncodeCore(CustomerSnapshot s, Span<double> x);

    internal abstract void WriteBody(Utf8JsonWriter w);

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("kind", Kind);
        WriteBody(w);
        if (When is { } when)
        {
            w.WriteStartObject("when");
            w.WriteString("field", when.Field);
            w.WritePropertyName("equals");
            when.Value.Write(w);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>A field's value as a category key: its text, or its number in invariant round-trip form.</summary>
    internal static string? Key(CustomerSnapshot s, string field) =>
        s.Fields.TryGetValue(field, out var f)
            ? f.Text ?? f.Number?.ToString("R", CultureInfo.InvariantCulture)
            : null;
}

/// <summary>A text or a number a field is compared with.</summary>
public sealed record FieldValue(string? Text, double? Number)
{
    public bool Matches(CustomerSnapshot s, string field) =>
        s.Fields.TryGetValue(field, out var f) && (Text is not null ? f.Text == Text : f.Number == Number);

    public override string ToString() => Text ?? Number?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    internal void Write(Utf8JsonWriter w)
    {
        if (Text is not null)
            w.WriteStringValue(Text);
        else
            w.WriteNumberValue(Number ?? 0);
    }
}

/// <summary>The condition of a conditional feature: <see cref="Field"/> equals <see cref="Value"/> (JSON <c>{ "field", "equals" }</c>).</summary>
public sealed record FeatureCondition(string Field, FieldValue Value)
{
    public bool Holds(CustomerSnapshot s) => Value.Matches(s, Field);
}
