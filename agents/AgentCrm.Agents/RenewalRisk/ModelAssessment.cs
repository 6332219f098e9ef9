using AgentCrm.Agents.Models;

namespace AgentCrm.Agents.RenewalRisk;

/// <summary>
/// Scores with a fitted <see cref="RiskModel"/> (logistic or trees). Reasons are the fields whose summed contribution
/// raises the risk (by at least 0.005, what a brief shows as +0.01), strongest first: a brief explains why a customer is at risk, and listing what
/// lowers it ("two-year contract") next to that would read as a reason for alarm.
/// </summary>
internal static class ModelAssessment
{
    public static (double Score, List<Reason> Reasons) Assess(RiskModel model, CustomerSnapshot s)
    {
        var evaluation = model.Evaluate(s);
        var reasons = new List<Reason>();
        foreach (var c in evaluation.Contributions)
        {
            var weight = Math.Round(c.Contribution, 4);
            if (weight <= 0 || ReasonText.Negligible(weight))
                continue;
            var value = s.Fields.TryGetValue(c.Field, out var f) ? f.Value : null;
            reasons.Add(new Reason(c.Field, value, weight, s.EventIds(c.Field), Explain(c.Field, value)));
        }
        reasons.Sort((a, b) => b.Weight != a.Weight ? b.Weight.CompareTo(a.Weight) : string.CompareOrdinal(a.Field, b.Field));
        return (Math.Round(LinearModel.Sigmoid(evaluation.Logit), 4), reasons);
    }

    /// <summary>The field's value as every version of the kind words it (<see cref="FieldWording"/>): "usage down 70% in 30 days", "month-to-month contract".</summary>
    internal static string Explain(string field, object? value) => FieldWording.Describe(field, value);
}
