using System.Text.Json;

namespace AgentCrm.Agents.Models;

/// <summary>
/// A fitted model stored under a manifest's <c>parameters.model</c>: <c>type: logistic</c> (the
/// default, <see cref="LinearModel"/>), <c>type: trees</c> (<see cref="TreeModel"/>) or <c>type: ensemble</c>
/// (<see cref="EnsembleModel"/>, a weighted average of the others' logits). Either way
/// it reports a logit and per-field contributions that add up to <c>logit − </c><see cref="Bias"/>.
/// </summary>
public abstract class RiskModel
{
    /// <summary>The JSON <c>type</c>.</summary>
    public abstract string Type { get; }

    /// <summary>Every snapshot field the model reads, in order of first use (what a manifest's <c>reads</c> must allow).</summary>
    public abstract IReadOnlyList<string> Fields { get; }

    /// <summary>What contributions are measured from: the intercept or the base score.</summary>
    public abstract double Bias { get; }

    /// <summary>The logit and each read field's summed contribution (in <see cref="Fields"/> order, zero ones included).</summary>
    public abstract ModelEvaluation Evaluate(CustomerSnapshot s);

    public virtual double Logit(CustomerSnapshot s) => Evaluate(s).Logit;

    /// <summary>The model as the JSON stored under <c>parameters.model</c>.</summary>
    public abstract JsonElement ToJson();

    /// <summary>Reads either model type by its <c>type</c> (logistic when absent); throws <see cref="ManifestException"/> keyed by JSON path.</summary>
    public static RiskModel Read(JsonElement json, string path = "parameters.model")
    {
        if (json.ValueKind == JsonValueKind.Object && json.TryGetProperty("type", out var type))
        {
            var name = type.ValueKind == JsonValueKind.String ? type.GetString() : null;
            if (name == TreeModel.TypeName)
                return TreeModel.FromJson(json, path);
            if (name == EnsembleModel.TypeName)
                return EnsembleModel.FromJson(json, path);
            if (name != LinearModel.TypeName)
                throw new ManifestException($"{path}.type", $"must be \"{LinearModel.TypeName}\" (the default), \"{TreeModel.TypeName}\" or \"{EnsembleModel.TypeName}\".");
        }
        return LinearModel.FromJson(json, path);
    }

    internal static JsonElement Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
            body(w);
        using var doc = JsonDocument.Parse(buffer.ToArray());
        return doc.RootElement.Clone();
    }
}
