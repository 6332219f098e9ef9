using System.Text.Json;
using AgentCrm.Agents.Models;

namespace AgentCrm.Agents.Compliance;

/// <summary>How a sentence's <c>unfair</c> score and its most likely category's are combined (<c>parameters.ensemble</c>).</summary>
public enum ComplianceEnsemble
{
    /// <summary><c>false</c>: the unfair class alone.</summary>
    None,

    /// <summary><c>true</c>: the mean of the two probabilities.</summary>
    Probability,

    /// <summary><c>"logit"</c>: the sigmoid of the weighted mean of the two logits (<c>parameters.ensembleShare</c> the unfair logit's share, 0.5 by default).</summary>
    Logit,
}

internal static class ComplianceEnsembles
{
    /// <summary>The sentence score; <paramref name="unfairShare"/> is the unfair logit's share of a logit blend (the category's is the rest).</summary>
    public static double Blend(ComplianceEnsemble mode, double unfairLogit, double categoryLogit, double unfairShare = 0.5) => mode switch
    {
        ComplianceEnsemble.Probability => (LinearModel.Sigmoid(unfairLogit) + LinearModel.Sigmoid(categoryLogit)) / 2,
        ComplianceEnsemble.Logit => LinearModel.Sigmoid(unfairShare * unfairLogit + (1 - unfairShare) * categoryLogit),
        _ => LinearModel.Sigmoid(unfairLogit),
    };

    public static string Name(ComplianceEnsemble mode) => mode switch
    {
        ComplianceEnsemble.Probability => "mean of probabilities",
        ComplianceEnsemble.Logit => "mean of logits",
        _ => "none",
    };

    public static JsonElement ToJson(ComplianceEnsemble mode) => mode switch
    {
        ComplianceEnsemble.Logit => JsonSerializer.SerializeToElement("logit"),
        _ => JsonSerializer.SerializeToElement(mode == ComplianceEnsemble.Probability),
    };

    /// <summary>Reads <c>true</c>, <c>false</c> or <c>"logit"</c>; null for anything else.</summary>
    public static ComplianceEnsemble? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.True => ComplianceEnsemble.Probability,
        JsonValueKind.False => ComplianceEnsemble.None,
        JsonValueKind.String when e.GetString() == "logit" => ComplianceEnsemble.Logit,
        _ => null,
    };
}
