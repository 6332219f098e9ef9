using System.Text;
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
            reasons.Add(new Reason(c.Field, value, weight, s.EventIds(c.Field), Explain(c.Field, value, weight)));
        }
        reasons.Sort((a, b) => b.Weight != a.Weight ? b.Weight.CompareTo(a.Weight) : string.CompareOrdinal(a.Field, b.Field));
        return (Math.Round(LinearModel.Sigmoid(evaluation.Logit), 4), reasons);
    }

    /// <summary>E.g. "contract type month-to-month raises risk (+0.84)", "usage trend30d -0.003 raises risk (+0.02)".</summary>
    internal static string Explain(string field, object? value, double weight)
    {
        var shown = value switch
        {
            null => "unknown",
            double d => ReasonText.Number(d),
            _ => value.ToString(),
        };
        return $"{Label(field)} {shown} raises risk ({ReasonText.Weight(weight)})";
    }

    /// <summary><c>billing.monthlyCharges</c> → "billing monthly charges".</summary>
    internal static string Label(string field)
    {
        var sb = new StringBuilder(field.Length + 4);
        foreach (var c in field)
        {
            if (c is '.' or '_')
                sb.Append(' ');
            else if (char.IsAsciiLetterUpper(c))
                sb.Append(' ').Append(char.ToLowerInvariant(c));
            else
                sb.Append(c);
        }
        return sb.ToString();
    }
}
