namespace AgentCrm.Agents.Customers;

/// <summary>
/// Which groups of snapshot fields a build derives. The customer actor builds one snapshot per event for the agents that
/// run on it, and each agent sees only the fields its manifest reads, so groups no agent reads (web baselines, windowed
/// counts, documents, news, …) are not derived at all. <see cref="All"/> derives every field; the cheap groups (profile,
/// contract, logins, NPS, totals) are always derived.
/// </summary>
public sealed record SnapshotPlan(bool Usage, bool TicketsAndBilling, bool WebVisits, bool WebBaseline, bool WindowedCounts, bool Documents, bool News)
{
    public static readonly SnapshotPlan All = new(true, true, true, true, true, true, true);

    /// <summary>A plan deriving at least <paramref name="fields"/>.</summary>
    public static SnapshotPlan For(IEnumerable<string> fields)
    {
        var list = fields as IReadOnlyCollection<string> ?? fields.ToList();
        bool Any(string prefix) => list.Any(f => f.StartsWith(prefix, StringComparison.Ordinal));
        bool IsBaseline(string field) => Customers.WebBaseline.Fields.Contains(field, StringComparer.Ordinal);
        return new SnapshotPlan(
            Usage: Any("usage."),
            TicketsAndBilling: Any("tickets.") || Any("billing."),
            WebVisits: list.Any(f => f.StartsWith("web.", StringComparison.Ordinal) && !IsBaseline(f)),
            WebBaseline: list.Any(IsBaseline),
            WindowedCounts: Any("events.count"),
            Documents: Any("documents."),
            News: Any("news."));
    }
}
