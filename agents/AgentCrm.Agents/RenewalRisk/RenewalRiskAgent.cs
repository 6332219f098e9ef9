namespace AgentCrm.Agents.RenewalRisk;

/// <summary>
/// Scores churn / renewal risk as a logistic function of weighted factors read from the snapshot.
/// Every factor that contributes is reported as a reason with its share of the log-odds (one too small to show, under
/// 0.005, counts in the score but is not a reason), worded by <see cref="ReasonText"/>. A manifest
/// with <c>parameters.model</c> scores with that fitted model instead (see <see cref="ModelAssessment"/>).
/// </summary>
internal sealed class RenewalRiskAgent(AgentManifest manifest, RenewalRiskParameters p) : IAgent
{
    public AgentManifest Manifest { get; } = manifest;

    public Assessment Assess(CustomerSnapshot s)
    {
        if (p.Model is { } model)
        {
            var (modelScore, modelReasons) = ModelAssessment.Assess(model, s);
            return new Assessment(modelScore, modelScore >= Manifest.Threshold, modelReasons, NextStep(modelReasons));
        }
        var reasons = new List<Reason>();
        var logit = p.Intercept;

        // Every contribution counts in the score; one too small to show (+0.00) is not given as a reason.
        // Worded as a fitted version words the same field (FieldWording), so a brief reads alike whichever version wrote it.
        void Factor(string factor, string field, double x)
        {
            if (x <= 0 || !p.Weights.TryGetValue(factor, out var w) || w == 0)
                return;
            var contribution = w * x;
            logit += contribution;
            if (!ReasonText.Negligible(contribution))
                reasons.Add(new Reason(field, s.Fields[field].Value, Math.Round(contribution, 4), s.EventIds(field), FieldWording.Describe(field, s.Fields[field].Value)));
        }

        if (s.Number("contract.daysToEnd") is { } days)
            Factor(Factors.ContractEndingSoon, "contract.daysToEnd", days <= 0 ? 1 : Math.Max(0, 1 - days / p.ContractHorizonDays));
        if (s.Text("contract.type") == "month-to-month")
            Factor(Factors.MonthToMonth, "contract.type", 1);
        if (s.Number("contract.autoRenew") == 0)
            Factor(Factors.NoAutoRenew, "contract.autoRenew", 1);
        if (s.Number("usage.trend30d") is { } trend && trend < 0)
            Factor(Factors.UsageDecline, "usage.trend30d", Math.Min(1, -trend));
        if (s.Number("tickets.open") is { } open && open > 0)
            Factor(Factors.OpenTickets, "tickets.open", Math.Min(open, 5) / 5);
        if (s.Number("tickets.openHighPriority") is { } high && high > 0)
            Factor(Factors.HighPriorityTickets, "tickets.openHighPriority", Math.Min(high, 3) / 3);
        if (s.Number("billing.paymentFailures90d") is { } failures && failures > 0)
            Factor(Factors.PaymentFailures, "billing.paymentFailures90d", Math.Min(failures, 3) / 3);
        if (s.Number("billing.overdueInvoices") is { } overdue && overdue > 0)
            Factor(Factors.OverdueInvoices, "billing.overdueInvoices", Math.Min(overdue, 3) / 3);
        if (s.Number("nps.latest") is { } nps && nps <= p.LowNps)
            Factor(Factors.LowNps, "nps.latest", (p.LowNps + 1 - nps) / (p.LowNps + 1));
        if (s.Number("tenure.days") is { } tenure && tenure < p.ShortTenureDays)
            Factor(Factors.ShortTenure, "tenure.days", 1 - tenure / p.ShortTenureDays);

        var score = Math.Round(1 / (1 + Math.Exp(-logit)), 4);
        reasons.Sort((a, b) => b.Weight.CompareTo(a.Weight));
        return new Assessment(score, score >= Manifest.Threshold, reasons, NextStep(reasons));
    }

    private static string NextStep(List<Reason> reasons) => reasons.Count == 0 ? "" : reasons[0].Field switch
    {
        "billing.paymentFailures90d" => "Call the billing contact this week: fix the failed payments before they turn into a cancellation.",
        "billing.overdueInvoices" => "Call the billing contact this week: settle the overdue invoices before they turn into a cancellation.",
        "usage.trend30d" => "Book an adoption review with the main users: find out which workflow stopped and offer enablement.",
        "contract.daysToEnd" or "contract.autoRenew" => "Open the renewal conversation now: confirm the decision maker, the value delivered and the renewal date.",
        "contract.type" => "Offer a term contract with a loyalty incentive to move off month-to-month.",
        "tickets.open" or "tickets.openHighPriority" => "Escalate the open tickets with support and tell the customer the date they will be fixed.",
        "nps.latest" => "Follow up on the low NPS answer personally and agree a recovery plan.",
        var field => NextStepByCategory(field, reasons[0]),
    };

    /// <summary>Fitted models read many more fields (services, charges…); their data category picks the step.</summary>
    private static string NextStepByCategory(string field, Reason reason) => field[..Math.Max(0, field.IndexOf('.', StringComparison.Ordinal))] switch
    {
        // A tree may find that a long tenure raises risk too: only a customer in their first year is told to onboard.
        "tenure" when FirstYear(reason) => "Run an onboarding health check: new customers churn before they reach value.",
        "contract" => "Open the renewal conversation now: offer a term contract with a loyalty incentive.",
        "billing" => "Review the customer's bill with them: check the plan fits and fix any payment problems.",
        "services" => "Review the services they use: close gaps such as missing support or security add-ons and fix service problems.",
        "usage" or "logins" => "Book an adoption review with the main users: find out which workflow stopped and offer enablement.",
        "support" or "tickets" => "Escalate the open complaints with support and tell the customer when they will be fixed.",
        _ => "Review the account and agree next steps with the customer.",
    };

    /// <summary>True when a tenure reason's value is under a year (<c>tenure.days</c>, <c>tenure.months</c>, <c>tenure.years</c>); unknown or another unit: false.</summary>
    private static bool FirstYear(Reason reason) => reason.Value is double v && reason.Field switch
    {
        "tenure.days" => v < 365,
        "tenure.months" => v < 12,
        "tenure.years" => v < 1,
        _ => false,
    };
}
