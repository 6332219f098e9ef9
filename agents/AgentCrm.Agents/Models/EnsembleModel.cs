using System.Text.Json;

namespace AgentCrm.Agents.Models;

/// <summary>
/// A weighted average of member models' logits: <c>logit = Σ weightᵢ · logitᵢ</c> with the weights
/// adding up to 1 (e.g. a logistic model and gradient-boosted trees blended). Reasons stay per field:
/// a field's contribution is the same weighted sum of its contributions in each member, so they add
/// up to <c>logit − </c><see cref="Bias"/> with <c>Bias = Σ weightᵢ · biasᵢ</c>. Members are logistic or
/// trees models (not nested ensembles).
/// </summary>
public sealed class EnsembleModel : RiskModel
{
    public const string TypeName = "ensemble";

    private readonly int[][] _fieldIndex;

    public EnsembleModel(IReadOnlyList<(double Weight, RiskModel Model)> members)
    {
        if (members.Count == 0)
            throw new ArgumentException("An ensemble needs at least one member.", nameof(members));
        if (members.Any(m => m.Model is EnsembleModel))
            throw new ArgumentException("Ensembles do not nest.", nameof(members));
        Members = members;
        Fields = members.SelectMany(m => m.Model.Fields).Distinct(StringComparer.Ordinal).ToArray();
        var index = Fields.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => p.i, StringComparer.Ordinal);
        _fieldIndex = members.Select(m => m.Model.Fields.Select(f => index[f]).ToArray()).ToArray();
        Bias = members.Sum(m => m.Weight * m.Model.Bias);
    }

    public override string Type => TypeName;

    public IReadOnlyList<(double Weight, RiskModel Model)> Members { get; }

    public override IReadOnlyList<string> Fields { get; }

    public override double Bias { get; }

    public override double Logit(CustomerSnapshot s)
    {
        double logit = 0;
        foreach (var (weight, model) in Members)
            logit += weight * model.Logit(s);
        return logit;
    }

    public override ModelEvaluation Evaluate(CustomerSnapshot s)
    {
        var byField = new double[Fields.Count];
        double logit = 0;
        for (var m = 0; m < Members.Count; m++)
        {
            var (weight, model) = Members[m];
            var e = model.Evaluate(s);
            logit += weight * e.Logit;
            for (var i = 0; i < e.Contributions.Count; i++)
                byField[_fieldIndex[m][i]] += weight * e.Contributions[i].Contribution;
        }
        var contributions = new FieldContribution[Fields.Count];
        for (var i = 0; i < contributions.Length; i++)
            contributions[i] = new FieldContribution(Fields[i], byField[i]);
        return new ModelEvaluation(logit, contributions);
    }

    public override JsonElement ToJson() => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("type", TypeName);
        w.WriteStartArray("members");
        foreach (var (weight, model) in Members)
        {
            w.WriteStartObject();
            w.WriteNumber("weight", weight);
            w.WritePropertyName("model");
            model.ToJson().WriteTo(w);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>Reads and strictly checks an ensemble; throws <see cref="ManifestException"/> keyed by JSON path under <paramref name="path"/>.</summary>
    public static EnsembleModel FromJson(JsonElement json, string path = "parameters.model") => EnsembleModelReader.Read(json, path);
}

/// <summary>Strict reading of a <c>type: ensemble</c> model: collects every problem by JSON path (members' own included), then throws once.</summary>
internal sealed class EnsembleModelReader : ModelJsonReader
{
    public const int MaxMembers = 8;

    private static readonly string[] ModelKeys = ["type", "members"];
    private static readonly string[] MemberKeys = ["weight", "model"];

    public static EnsembleModel Read(JsonElement json, string path)
    {
        var reader = new EnsembleModelReader();
        return reader.Finish(reader.ReadModel(json, path));
    }

    private EnsembleModel? ReadModel(JsonElement json, string path)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            Error(path, "must be an object with members.");
            return null;
        }
        OnlyKeys(json, path, ModelKeys);
        if (!json.TryGetProperty("members", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is 0 or > MaxMembers)
        {
            Error($"{path}.members", $"is required: a list of 1 to {MaxMembers} {{weight, model}} objects.");
            return null;
        }
        var members = new List<(double, RiskModel)>();
        var i = 0;
        foreach (var item in list.EnumerateArray())
        {
            var at = $"{path}.members[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                Error(at, "must be an object with weight and model.");
                continue;
            }
            OnlyKeys(item, at, MemberKeys);
            var weight = Number(item, "weight", at, 1e-6, 1);
            if (!item.TryGetProperty("model", out var model))
            {
                Error($"{at}.model", "is required: a logistic or trees model.");
                continue;
            }
            if (model.ValueKind == JsonValueKind.Object && model.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == EnsembleModel.TypeName)
            {
                Error($"{at}.model.type", "ensembles do not nest: a member is a logistic or trees model.");
                continue;
            }
            try
            {
                members.Add((weight, RiskModel.Read(model, $"{at}.model")));
            }
            catch (ManifestException e)
            {
                foreach (var (key, messages) in e.Errors)
                    Error(key, messages[0]);
            }
        }
        if (ErrorCount == 0 && Math.Abs(members.Sum(m => m.Item1) - 1) > 1e-6)
            Error($"{path}.members", "weights must add up to 1.");
        return ErrorCount == 0 ? new EnsembleModel(members) : null;
    }
}
