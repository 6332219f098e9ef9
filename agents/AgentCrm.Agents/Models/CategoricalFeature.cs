using System.Text.Json;

namespace AgentCrm.Agents.Models;

/// <summary>
/// One-hot over stored categories: the weight of the value's category, nothing for an unknown value
/// or category. With two or more fields (<c>kind: crossed</c>) the category is the fields' values
/// joined by <c>|</c>, e.g. <c>month-to-month|fiber-optic</c>.
/// </summary>
public sealed class CategoricalFeature : ModelFeature
{
    public const char Separator = '|';

    private readonly Dictionary<string, int> _index;

    public CategoricalFeature(IReadOnlyList<string> inputs, IReadOnlyList<string> categories, IReadOnlyList<double> weights, FeatureCondition? when = null)
        : base(when)
    {
        Inputs = inputs;
        Categories = categories;
        Weights = weights;
        _index = new Dictionary<string, int>(categories.Count, StringComparer.Ordinal);
        for (var i = 0; i < categories.Count; i++)
            _index[categories[i]] = i;
    }

    public override string Kind => Inputs.Count == 1 ? "categorical" : "crossed";

    public override IReadOnlyList<string> Inputs { get; }

    public IReadOnlyList<string> Categories { get; }

    public override IReadOnlyList<double> Weights { get; }

    /// <summary>The value's category key, or null when any input is unknown.</summary>
    public string? Category(CustomerSnapshot s)
    {
        if (Inputs.Count == 1)
            return Key(s, Inputs[0]);
        var parts = new string[Inputs.Count];
        for (var i = 0; i < parts.Length; i++)
            if ((parts[i] = Key(s, Inputs[i])!) is null)
                return null;
        return string.Join(Separator, parts);
    }

    protected override void EncodeCore(CustomerSnapshot s, Span<double> x)
    {
        if (Category(s) is { } c && _index.TryGetValue(c, out var i))
            x[i] = 1;
    }

    public override ModelFeature WithWeights(ReadOnlySpan<double> weights) => new CategoricalFeature(Inputs, Categories, weights.ToArray(), When);

    internal override void WriteBody(Utf8JsonWriter w)
    {
        if (Inputs.Count == 1)
            w.WriteString("field", Inputs[0]);
        else
        {
            w.WriteStartArray("fields");
            foreach (var f in Inputs)
                w.WriteStringValue(f);
            w.WriteEndArray();
        }
        w.WriteStartObject("weights");
        for (var i = 0; i < Categories.Count; i++)
            w.WriteNumber(Categories[i], Weights[i]);
        w.WriteEndObject();
    }
}
