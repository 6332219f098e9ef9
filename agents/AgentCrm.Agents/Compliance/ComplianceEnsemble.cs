using System.Text.Json;
using AgentCrm.Agents.Models;

namespace AgentCrm.Agents.Compliance;

/// <summary>How a sentence's <c>unfair</c> score and its most likely category's are combined (<c>parameters.ensemble</c>).</summary>
internal enum ComplianceEnsemble
{
    /// <summary><c>false</c>: the unfair class alone.</summary>
    None,

    /// <summary><c>true</c>: the mean of the two probabilities.</summary>
    Probability,

    /// <summary><c>"logit"</c>: the sigmoid of the mean of the two logits.</summary>
    Logit,
}

internal static class ComplianceEnsembles
{
    public static double Blend(ComplianceEnsemble mode, double unfairLogit, double categoryLogit) => mode switch
    {
        ComplianceEnsemble.Probability => (LinearModel.Sigmoid(unfairLogit) + LinearModel.Sigmoid(categoryLogit)) / 2,
        ComplianceEnsemble.Logit => LinearModel.Sigmoid((unfairLogit + categoryLogit) / 2),
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
