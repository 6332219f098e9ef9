using System.Globalization;

namespace AgentCrm.Agents.Customers;

/// <summary>
/// Buying-intent web behaviour against the customer's own history: visits to pricing, security,
/// compliance, integration and procurement pages in the last 7 days vs the customer's weekly average over
/// the 12 weeks before, when the burst began (and what it holds since), and visitors first seen in the last 14 days
/// from the customer's own domain vs how many new ones it usually brings in 14 days. Read from the visits kept in
/// actor state, at event time.
/// </summary>
public static class WebBaseline
{
    public static readonly IReadOnlyList<string> IntentCategories = ["pricing", "security", "compliance", "integration", "procurement"];

    public const int BaselineWeeks = 12;

    /// <summary>Whether a visit's page category shows buying intent (<see cref="IntentCategories"/>).</summary>
    public static bool IsIntent(string category) => IntentCategories.Contains(category, StringComparer.Ordinal);

    public const int NewVisitorDays = 14;

    public static readonly IReadOnlyList<string> Fields =
    [
        "web.intentVisits7d", "web.intentWeeklyBaseline", "web.intentBaselineWeeks", "web.intentBurstDays", "web.intentCategories7d",
        "web.intentBurstSince", "web.intentBurstVisits", "web.intentBurstCategories", "web.newDomainVisitors14d", "web.newDomainVisitorsBaseline14d",
    ];

    internal static void Add(CustomerState s, DateTimeOffset asOf, Dictionary<string, SnapshotField> f)
    {
        if (s.WebVisits.Count == 0)
            return;
        var intent = s.WebVisits.Where(v => v.At <= asOf && IsIntent(v.Category)).ToList();
        var weekStart = asOf.AddDays(-7);
        var recent = intent.Where(v => v.At > weekStart).OrderBy(v => v.At).ToList();
        f["web.intentVisits7d"] = SnapshotField.Of("web.intentVisits7d", recent.Count, recent.TakeLast(10).Select(v => v.EventId).ToArray());

        // The baseline covers the whole weeks of history before this week (at most 12), so a young
        // account's baseline is not diluted by weeks before its first visit.
        var kept = s.WebVisits.Min(v => v.At);
        // Once visits have been forgotten (a busy site past the visits kept), the history and the weekly counts come from
        // the first visit seen and the intent visits counted per day; before that, from the visits themselves, to the second.
        var forgotten = s.WebVisits.Count >= CustomerState.VisitCapacity && s.FirstWebVisitAt is { } seen && seen < kept;
        var firstVisit = forgotten ? s.FirstWebVisitAt!.Value : kept;
        var weeks = Math.Clamp((int)Math.Floor((weekStart - firstVisit).TotalDays / 7), 0, BaselineWeeks);
        f["web.intentBaselineWeeks"] = SnapshotField.Of("web.intentBaselineWeeks", weeks);
        var weekly = 0.0;
        if (weeks > 0)
        {
            var from = weekStart.AddDays(-7 * weeks);
            var before = forgotten
                ? s.IntentVisitsByDay.Sum(CustomerTimeline.Day(from) + 1, CustomerTimeline.Day(weekStart))
                : intent.Count(v => v.At > from && v.At <= weekStart);
            weekly = Math.Round((double)before / weeks, 4);
            f["web.intentWeeklyBaseline"] = SnapshotField.Of("web.intentWeeklyBaseline", weekly);
        }
        if (recent.Count > 0)
        {
            f["web.intentCategories7d"] = SnapshotField.Of("web.intentCategories7d", Categories(recent), recent.TakeLast(10).Select(v => v.EventId).ToArray());
            // The burst: the visits since it began, when this week holds more than the customer's usual rate expects.
            if (BurstStart(recent, weekly / 7, asOf) is var start and >= 0)
            {
                var burst = recent.Skip(start).ToList();
                f["web.intentBurstDays"] = SnapshotField.Of("web.intentBurstDays", Math.Max(0, Math.Floor((asOf - burst[0].At).TotalDays)), burst[0].EventId);
                // Its day (UTC): whole days back from the snapshot's moment can land on the day after (09:00 two days back at 08:00 is 1 day).
                f["web.intentBurstSince"] = SnapshotField.Of("web.intentBurstSince", burst[0].At.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), burst[0].EventId);
                f["web.intentBurstVisits"] = SnapshotField.Of("web.intentBurstVisits", burst.Count, burst.TakeLast(10).Select(v => v.EventId).ToArray());
                f["web.intentBurstCategories"] = SnapshotField.Of("web.intentBurstCategories", Categories(burst), burst.TakeLast(10).Select(v => v.EventId).ToArray());
            }
        }

        if (s.Domain?.Value is { Length: > 0 } domain)
        {
            var own = domain.ToLowerInvariant();
            var mine = s.Visitors.Values.Where(v => v.FirstSeen <= asOf && FromDomain(v.Domain, own)).ToList();
            var windowStart = asOf.AddDays(-NewVisitorDays);
            var fresh = mine.Where(v => v.FirstSeen > windowStart).OrderBy(v => v.FirstSeen).ToList();
            f["web.newDomainVisitors14d"] = SnapshotField.Of("web.newDomainVisitors14d", fresh.Count, SnapshotBuilder.Newest(fresh.Select(v => v.EventId).ToArray()));
            // The customer's own rate of new visitors, over the 12 weeks before the 14 days: a big customer brings new people
            // every week. The first week of its web history is left out (everyone is first seen there, new or not).
            var from = Max(firstVisit.AddDays(7), windowStart.AddDays(-7 * BaselineWeeks));
            // Once the customer's own people outnumbered the visitors kept, its earliest were forgotten and come back as new:
            // the usual rate is measured only over the span the visitors kept cover, where returning ones count as in these 14 days.
            if (s.OwnVisitorsForgottenUntil is { } wrapped && wrapped > from)
                from = wrapped;
            var span = (windowStart - from).TotalDays;
            if (span >= 7)
            {
                var before = mine.Count(v => v.FirstSeen > from && v.FirstSeen <= windowStart);
                f["web.newDomainVisitorsBaseline14d"] = SnapshotField.Of("web.newDomainVisitorsBaseline14d", Math.Round(before * NewVisitorDays / span, 4));
            }
        }
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>Whether a visitor's domain is the customer's own or one of its subdomains (false when either is unknown).</summary>
    internal static bool FromDomain(string? visitorDomain, string? own) =>
        own is { Length: > 0 } && visitorDomain is { } d && (d == own || d.EndsWith("." + own, StringComparison.Ordinal));

    private static string Categories(List<VisitInfo> visits) => string.Join(", ", visits.GroupBy(v => v.Category)
        .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
        .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Count()}")));

    /// <summary>
    /// Where the burst in this week's visits (oldest first) began: the visit from which the count most departs from the
    /// customer's usual daily rate — the start whose Poisson likelihood ratio (k visits since it against rate × days) is
    /// highest, and at least <see cref="MinBurstEvidence"/> — so an ordinary visit days before the burst is not its start.
    /// Without a rate (no earlier history) every visit is above it: the first. -1 when no start departs that far from the
    /// rate (an ordinary week).
    /// </summary>
    /// <summary>
    /// The log likelihood ratio a burst's start needs: about a 1-in-100 chance under the usual rate, so the day-to-day
    /// wobble of an ordinary week (2 visits in a day of 1 usual: 0.3) starts no burst, while 6 visits in a day of 0.25 usual (13.8) does.
    /// </summary>
    private const double MinBurstEvidence = 3;

    internal static int BurstStart(IReadOnlyList<VisitInfo> visits, double perDay, DateTimeOffset asOf)
    {
        if (perDay <= 0)
            return visits.Count > 0 ? 0 : -1;
        var best = -1;
        var bestScore = double.NegativeInfinity;
        for (var i = 0; i < visits.Count; i++)
        {
            var k = visits.Count - i;
            // At least a day: a burst's last hour against an hour's rate is no evidence of a start.
            var expected = perDay * Math.Max(1, (asOf - visits[i].At).TotalDays);
            if (k <= expected)
                continue;
            var score = k * Math.Log(k / expected) - (k - expected);
            if (score > bestScore && score >= MinBurstEvidence)
                (best, bestScore) = (i, score);
        }
        return best;
    }
}
