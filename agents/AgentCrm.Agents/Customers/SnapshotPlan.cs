namespace AgentCrm.Agents.Customers;

/// <summary>
/// Which groups of snapshot fields a build derives. The customer actor builds one snapshot per event for the agents that
/// run on it, and each agent sees only the fields its manifest reads, so groups no agent reads (web baselines, windowed
/// counts, documents, news, …) are not derived at all. <see cref="All"/> derives every field.
/// </summary>
public sealed class SnapshotPlan
{
    public static readonly SnapshotPlan All = new(usage: true, ticketsAndBilling: true, webVisits: true, webBaseline: true, windowedCounts: true, documents: true, news: true);

    private SnapshotPlan(bool usage, bool ticketsAndBilling, bool webVisits, bool webBaseline, bool windowedCounts, bool documents, bool news)
    {
        Usage = usage;
        TicketsAndBilling = ticketsAndBilling;
        WebVisits = webVisits;
        WebBaseline = webBaseline;
        WindowedCounts = windowedCounts;
        Documents = documents;
        News = news;
    }

    /// <summary>A plan deriving at least <paramref name="fields"/> (the cheap groups — profile, contract, logins, NPS, totals — always).</summary>
    public static SnapshotPlan For(IEnumerable<string> fields)
    {
        var list = fields as IReadOnlyCollection<string> ?? fields.ToList();
        bool Any(string prefix) => list.Any(f => f.StartsWith(prefix, StringComparison.Ordinal));
        var baseline = list.Any(f => Customers.WebBaseline.Fields.Contains(f, StringComparer.Ordinal));
        return new SnapshotPlan(
            usage: Any("usage."),
            ticketsAndBilling: Any("tickets.") || Any("billing."),
            webVisits: list.Any(f => f.StartsWith("web.", StringComparison.Ordinal) && !Customers.WebBaseline.Fields.Contains(f, StringComparer.Ordinal)),
            webBaseline: baseline,
            windowedCounts: Any("events.count"),
            documents: Any("documents."),
            news: Any("news."));
    }

    public bool Usage { get; }

    public bool TicketsAndBilling { get; }

    public bool WebVisits { get; }

    public bool WebBaseline { get; }

    public bool WindowedCounts { get; }

    public bool Documents { get; }

    public bool News { get; }
}
