using System.Globalization;

namespace AgentCrm.Agents.Customers;

/// <summary>
/// Buying-intent web behaviour against the customer's own history: visits to pricing, security,
/// compliance, integration and procurement pages in the last 7 days vs the customer's weekly average over
/// the 12 weeks before, when the burst began, and visitors first seen in the last 14 days from the
/// customer's own domain. Read from the visits kept in actor state, at event time.
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
        "web.newDomainVisitors14d",
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
        if (weeks > 0)
        {
            var from = weekStart.AddDays(-7 * weeks);
            var before = forgotten
                ? s.IntentVisitsByDay.Sum(CustomerTimeline.Day(from) + 1, CustomerTimeline.Day(weekStart))
                : intent.Count(v => v.At > from && v.At <= weekStart);
            f["web.intentWeeklyBaseline"] = SnapshotField.Of("web.intentWeeklyBaseline", Math.Round((double)before / weeks, 4));
        }
        if (recent.Count > 0)
        {
            f["web.intentBurstDays"] = SnapshotField.Of("web.intentBurstDays", Math.Max(0, Math.Floor((asOf - recent[0].At).TotalDays)), recent[0].EventId);
            var categories = recent.GroupBy(v => v.Category).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Count()}"));
            f["web.intentCategories7d"] = SnapshotField.Of("web.intentCategories7d", string.Join(", ", categories), recent.TakeLast(10).Select(v => v.EventId).ToArray());
        }

        if (s.Domain?.Value is { Length: > 0 } domain)
        {
            var own = domain.ToLowerInvariant();
            var fresh = s.Visitors.Values.Where(v => v.FirstSeen > asOf.AddDays(-NewVisitorDays) && v.FirstSeen <= asOf
                && v.Domain is { } d && (d == own || d.EndsWith("." + own, StringComparison.Ordinal))).OrderBy(v => v.FirstSeen).ToList();
            f["web.newDomainVisitors14d"] = SnapshotField.Of("web.newDomainVisitors14d", fresh.Count, SnapshotBuilder.Newest(fresh.Select(v => v.EventId).ToArray()));
        }
    }
}
