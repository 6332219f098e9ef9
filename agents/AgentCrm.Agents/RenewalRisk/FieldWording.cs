using System.Text;

namespace AgentCrm.Agents.RenewalRisk;

/// <summary>
/// How a reason reads a snapshot field's value, one wording per field for every version of the kind: the hand-set
/// weights of 1.0.0 and a fitted model word "usage down 70% in 30 days" and "contract ends in 16 days" alike. A field
/// without its own wording reads as its name and value ("billing monthly charges 1351.23", "contract type Basic"); an
/// unknown value as "… unknown". The weight is not part of it: a brief shows it beside every reason.
/// </summary>
internal static class FieldWording
{
    public static string Describe(string field, object? value)
    {
        if (value is null)
            return $"{Noun(field)} unknown";
        if (value is double d)
        {
            return field switch
            {
                "contract.daysToEnd" => ReasonText.ContractEnd(d),
                "contract.autoRenew" => d == 0 ? "auto-renew is off" : "auto-renew is on",
                "usage.trend30d" => d switch
                {
                    < 0 => $"usage down {ReasonText.Percent(d)} in 30 days",
                    > 0 => $"usage up {ReasonText.Percent(d)} in 30 days",
                    _ => "usage flat over 30 days",
                },
                "tickets.open" => ReasonText.Count(d, "unresolved ticket"),
                "tickets.openHighPriority" => $"{ReasonText.Count(d, "high-priority ticket")} open",
                "billing.paymentFailures90d" => $"{ReasonText.Count(d, "failed payment")} in 90 days",
                "billing.overdueInvoices" => ReasonText.Count(d, "overdue invoice"),
                "nps.latest" => $"NPS {ReasonText.Number(d)}",
                "tenure.days" => ReasonText.Tenure(d),
                "tenure.months" => $"customer for {ReasonText.Count(d, "month")}",
                _ => $"{Label(field)} {ReasonText.Number(d)}",
            };
        }
        var text = value.ToString();
        return field switch
        {
            "contract.type" => $"{text} contract",
            _ => $"{Label(field)} {text}",
        };
    }

    /// <summary>What a field is called when its value is unknown ("NPS unknown", "contract end date unknown").</summary>
    private static string Noun(string field) => field switch
    {
        "contract.daysToEnd" => "contract end date",
        "contract.autoRenew" => "auto-renew",
        "usage.trend30d" => "usage trend",
        "nps.latest" => "NPS",
        "tenure.days" or "tenure.months" => "tenure",
        _ => Label(field),
    };

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
