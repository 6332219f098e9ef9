using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Models;

/// <summary>Strict reading of <c>parameters.model</c>: collects every problem by JSON path, then throws once.</summary>
internal sealed class LinearModelReader : ModelJsonReader
{
    public const double MaxWeight = 1000;
    public const int MaxFeatures = 2000;
    public const int MaxWidth = 20000;

    private static readonly string[] ModelKeys = ["type", "intercept", "features"];
    private static readonly string[] Kinds = ["numeric", "ratio", "product", "count", "categorical", "crossed", "bucket"];
    private static readonly string[] Transforms = [NumericFeature.None, NumericFeature.Log1p];

    public static LinearModel Read(JsonElement json, string path)
    {
        var reader = new LinearModelReader();
        return reader.Finish(reader.ReadModel(json, path));
    }

    private LinearModel? ReadModel(JsonElement json, string path)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            Error(path, "must be an object with intercept and features.");
            return null;
        }
        OnlyKeys(json, path, ModelKeys);
        if (json.TryGetProperty("type", out var type) && (type.ValueKind != JsonValueKind.String || type.GetString() != LinearModel.TypeName))
            Error($"{path}.type", $"must be \"{LinearModel.TypeName}\".");
        var intercept = Weight(json, "intercept", path, required: true);
        var features = new List<ModelFeature>();
        if (!json.TryGetProperty("features", out var list) || list.ValueKind != JsonValueKind.Array)
            Error($"{path}.features", "is required: a list of features.");
        else if (list.GetArrayLength() > MaxFeatures)
            Error($"{path}.features", $"has more than {MaxFeatures} features.");
        else
        {
            var i = 0;
            foreach (var f in list.EnumerateArray())
                if (ReadFeature(f, $"{path}.features[{i++}]") is { } feature)
                    features.Add(feature);
            if (features.Sum(f => f.Width) > MaxWidth)
                Error($"{path}.features", $"has more than {MaxWidth} weights.");
        }
        return new LinearModel(intercept, features);
    }

    private ModelFeature? ReadFeature(JsonElement f, string path)
    {
        if (f.ValueKind != JsonValueKind.Object)
        {
            Error(path, "must be an object with a kind.");
            return null;
        }
        var kind = f.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : null;
        if (kind is null || !Kinds.Contains(kind, StringComparer.Ordinal))
        {
            Error($"{path}.kind", $"must be one of {string.Join(", ", Kinds)}.");
            return null;
        }
        var before = ErrorCount;
        var when = f.TryGetProperty("when", out var w) ? Condition(w, $"{path}.when") : null;
        ModelFeature? feature = kind switch
        {
            "categorical" or "crossed" => Categorical(f, path, kind, when),
            "bucket" => Bucket(f, path, when),
            _ => Numeric(f, path, kind, when),
        };
        return ErrorCount == before ? feature : null;
    }

    private NumericFeature? Numeric(JsonElement f, string path, string kind, FeatureCondition? when)
    {
        var source = kind switch { "ratio" => NumericSource.Ratio, "product" => NumericSource.Product, "count" => NumericSource.Count, _ => NumericSource.Field };
        string[] keys = source == NumericSource.Field
            ? ["kind", "field", "transform", "mean", "std", "weight", "missingWeight", "when"]
            : ["kind", "fields", "value", "transform", "mean", "std", "weight", "missingWeight", "when"];
        OnlyKeys(f, path, keys);
        IReadOnlyList<string>? inputs = source switch
        {
            NumericSource.Field => Field(f, "field", path) is { } one ? [one] : null,
            NumericSource.Count => FieldList(f, path, min: 1),
            _ => FieldList(f, path, min: 2, max: 2),
        };
        FieldValue? value = null;
        if (source == NumericSource.Count)
            value = f.TryGetProperty("value", out var v) ? Value(v, $"{path}.value") : Missing($"{path}.value", "is required: the text or number to count.");
        else if (f.TryGetProperty("value", out _))
            Error($"{path}.value", "only a count feature has a value.");
        var transform = NumericFeature.None;
        if (f.TryGetProperty("transform", out var t))
        {
            transform = t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            if (!Transforms.Contains(transform, StringComparer.Ordinal))
                Error($"{path}.transform", $"must be one of {string.Join(", ", Transforms)}.");
        }
        var mean = Number(f, "mean", path, -1e12, 1e12, required: true);
        var std = Number(f, "std", path, 1e-12, 1e12, required: true);
        var weight = Weight(f, "weight", path, required: true);
        double? missing = f.TryGetProperty("missingWeight", out _) ? Weight(f, "missingWeight", path, required: true) : null;
        return inputs is null ? null : new NumericFeature(source, inputs, transform, mean, std, weight, missing, value, when);
    }

    private CategoricalFeature? Categorical(JsonElement f, string path, string kind, FeatureCondition? when)
    {
        OnlyKeys(f, path, kind == "categorical" ? ["kind", "field", "weights", "when"] : ["kind", "fields", "weights", "when"]);
        IReadOnlyList<string>? inputs = kind == "categorical"
            ? Field(f, "field", path) is { } one ? [one] : null
            : FieldList(f, path, min: 2, max: 4);
        if (!f.TryGetProperty("weights", out var ws) || ws.ValueKind != JsonValueKind.Object || !ws.EnumerateObject().Any())
        {
            Error($"{path}.weights", "is required: an object of category → weight.");
            return null;
        }
        var categories = new List<string>();
        var weights = new List<double>();
        foreach (var p in ws.EnumerateObject())
        {
            if (inputs is not null && p.Name.Split(CategoricalFeature.Separator).Length != inputs.Count)
                Error($"{path}.weights.{p.Name}", $"a {kind} category has {inputs.Count} part{(inputs.Count == 1 ? "" : "s")} separated by '{CategoricalFeature.Separator}'.");
            categories.Add(p.Name);
            weights.Add(WeightValue(p.Value, $"{path}.weights.{p.Name}"));
        }
        return inputs is null ? null : new CategoricalFeature(inputs, categories, weights, when);
    }

    private BucketFeature? Bucket(JsonElement f, string path, FeatureCondition? when)
    {
        OnlyKeys(f, path, ["kind", "field", "edges", "weights", "when"]);
        var field = Field(f, "field", path);
        var edges = Numbers(f, "edges", path);
        var weights = Numbers(f, "weights", path);
        if (edges is null || weights is null || field is null)
            return null;
        for (var i = 1; i < edges.Count; i++)
            if (edges[i] <= edges[i - 1])
                Error($"{path}.edges[{i}]", "edges must be strictly ascending.");
        if (edges.Count == 0)
            Error($"{path}.edges", "needs at least one edge.");
        if (weights.Count != edges.Count + 1)
            Error($"{path}.weights", $"needs {edges.Count + 1} weights (one per bucket), not {weights.Count}.");
        foreach (var (x, i) in weights.Select((x, i) => (x, i)))
            if (Math.Abs(x) > MaxWeight)
                Error($"{path}.weights[{i}]", $"must be between -{MaxWeight} and {MaxWeight}.");
        return new BucketFeature(field, edges, weights, when);
    }

    private FeatureCondition? Condition(JsonElement w, string path)
    {
        if (w.ValueKind != JsonValueKind.Object)
        {
            Error(path, "must be { \"field\": FIELD, \"equals\": VALUE }.");
            return null;
        }
        OnlyKeys(w, path, ["field", "equals"]);
        var field = Field(w, "field", path);
        var value = w.TryGetProperty("equals", out var e) ? Value(e, $"{path}.equals") : Missing($"{path}.equals", "is required.");
        return field is null || value is null ? null : new FeatureCondition(field, value);
    }

    private FieldValue? Missing(string path, string message)
    {
        Error(path, message);
        return null;
    }

    private FieldValue? Value(JsonElement v, string path) => v.ValueKind switch
    {
        JsonValueKind.String => new FieldValue(v.GetString(), null),
        JsonValueKind.Number => new FieldValue(null, v.GetDouble()),
        _ => Missing(path, "must be a text or a number."),
    };

    private string? Field(JsonElement o, string key, string path)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind != JsonValueKind.String)
        {
            Error($"{path}.{key}", "is required: a snapshot field name.");
            return null;
        }
        var name = v.GetString()!;
        if (!FieldCatalog.IsValid(name))
        {
            Error($"{path}.{key}", $"'{name}' is not a snapshot field; a field is prefix.name with prefix one of {string.Join(", ", FieldCatalog.Prefixes.Keys)}.");
            return null;
        }
        return name;
    }

    private string[]? FieldList(JsonElement o, string path, int min, int max = 100)
    {
        if (!o.TryGetProperty("fields", out var v) || v.ValueKind != JsonValueKind.Array || v.GetArrayLength() < min || v.GetArrayLength() > max)
        {
            Error($"{path}.fields", min == max ? $"is required: a list of {min} snapshot fields." : $"is required: a list of {min} to {max} snapshot fields.");
            return null;
        }
        var names = new List<string>();
        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            var itemPath = $"{path}.fields[{i++}]";
            if (item.ValueKind != JsonValueKind.String || !FieldCatalog.IsValid(item.GetString()!))
                Error(itemPath, $"must be a snapshot field name (prefix.name with prefix one of {string.Join(", ", FieldCatalog.Prefixes.Keys)}).");
            else
                names.Add(item.GetString()!);
        }
        return names.Count == v.GetArrayLength() ? [.. names] : null;
    }

    private List<double>? Numbers(JsonElement o, string key, string path)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind != JsonValueKind.Array)
        {
            Error($"{path}.{key}", "is required: a list of numbers.");
            return null;
        }
        var list = new List<double>();
        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Number && item.TryGetDouble(out var d) && double.IsFinite(d))
                list.Add(d);
            else
                Error($"{path}.{key}[{i}]", "must be a number.");
            i++;
        }
        return list.Count == v.GetArrayLength() ? list : null;
    }

    private double Weight(JsonElement o, string key, string path, bool required) => Number(o, key, path, -MaxWeight, MaxWeight, required);

    private double WeightValue(JsonElement v, string path)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && Math.Abs(d) <= MaxWeight)
            return d;
        Error(path, $"must be a number between -{MaxWeight} and {MaxWeight}.");
        return 0;
    }
}
