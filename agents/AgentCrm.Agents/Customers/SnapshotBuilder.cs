namespace AgentCrm.Agents.Customers;

/// <summary>Derives the agent-facing <see cref="CustomerSnapshot"/> from <see cref="CustomerState"/> at a moment.</summary>
public static class SnapshotBuilder
{
    /// <summary>
    /// The most event ids a field names as its evidence (the newest): a count over thousands of open tickets stays exact while
    /// the ids it carries into every brief and audit record stay few.
    /// </summary>
    public const int MaxEvidenceIds = 10;

    /// <summary>The windows of <c>events.countNd.TYPE[.CATEGORY]</c>; every event type has a count, categories once seen.</summary>
    public static readonly IReadOnlyList<int> CountWindows = [7, 30, 90];

    /// <summary>Every field this builder derives from events (all of them valid <see cref="FieldCatalog"/> names).</summary>
    public static readonly IReadOnlyList<string> Fields =
    [
        "profile.name", "profile.segment", "profile.domain", "tenure.days",
        "contract.type", "contract.daysToEnd", "contract.value", "contract.autoRenew", "contract.status",
        "usage.last30d", "usage.prev30d", "usage.trend30d", "usage.last90d", "usage.prev90d", "usage.trend90d", "logins.last30d",
        "tickets.open", "tickets.openHighPriority", "tickets.opened90d",
        "billing.paymentFailures90d", "billing.overdueInvoices", "billing.openAmount",
        "nps.latest", "nps.daysSince", "web.visits30d", "web.pricingVisits30d", "web.distinctVisitors30d",
        .. WebBaseline.Fields,
        "documents.text", "documents.docType", "documents.title", "documents.count", "documents.daysSinceLast",
        "news.title", "news.buyer", "news.description", "news.date", "news.daysSince", "news.count30d",
        "events.total", "events.daysSinceLast",
        .. CountWindows.SelectMany(w => EventTypes.All.Select(t => $"events.count{w}d.{t}")),
    ];

    private static readonly HashSet<string> FieldSet = [.. Fields];

    /// <summary>True for a field this builder derives: one of <see cref="Fields"/> or a per-category count (<c>events.count30d.email.inquiry</c>).</summary>
    public static bool Derives(string field)
    {
        if (FieldSet.Contains(field))
            return true;
        var parts = field.Split('.');
        return parts.Length == 4 && parts[0] == "events" && CountWindows.Any(w => parts[1] == $"count{w}d") && EventTypes.IsKnown(parts[2])
            && CustomerTimeline.CategoryKey(parts[3]) == parts[3];
    }

    /// <summary>Every field the state allows at <paramref name="asOf"/> (or, with a <paramref name="plan"/>, at least the fields it was made for); the snapshot's <see cref="CustomerSnapshot.AsOf"/> is that moment in UTC.</summary>
    public static CustomerSnapshot Build(CustomerState s, DateTimeOffset asOf, SnapshotPlan? plan = null)
    {
        // The moment is the event's, in UTC whatever offset the event was sent with: every brief and audit record copies it.
        asOf = asOf.ToUniversalTime();
        plan ??= SnapshotPlan.All;
        var f = new Dictionary<string, SnapshotField>(Capacity(plan), StringComparer.Ordinal);
        // A non-finite value (a sum over numbers stored before intake bounded them) is left out rather than poisoning the snapshot.
        void Num(string name, double value, IReadOnlyList<string> ids)
        {
            if (double.IsFinite(value))
                f[name] = SnapshotField.Of(name, value, Newest(ids));
        }
        void Txt(string name, string value, IReadOnlyList<string> ids) => f[name] = SnapshotField.Of(name, value, Newest(ids));

        if (s.Name is { } n) Txt("profile.name", n.Value, [n.EventId]);
        if (s.Segment is { } seg) Txt("profile.segment", seg.Value, [seg.EventId]);
        if (s.Domain is { } dom) Txt("profile.domain", dom.Value, [dom.EventId]);
        if ((s.CustomerSince ?? s.FirstContractStart) is { } since)
            Num("tenure.days", Math.Max(0, Math.Floor((asOf - since.Value).TotalDays)), [since.EventId]);

        if (s.Contract is { } c)
        {
            if (c.Type is { } type) Txt("contract.type", type, [c.EventId]);
            if (c.End is { } end) Num("contract.daysToEnd", Math.Ceiling((end - asOf).TotalDays), [c.EventId]);
            if (c.Value is { } value) Num("contract.value", value, [c.EventId]);
            if (c.AutoRenew is { } auto) Num("contract.autoRenew", auto ? 1 : 0, [c.EventId]);
            if (c.Status is { } status) Txt("contract.status", status, [c.EventId]);
        }

        var today = CustomerTimeline.Day(asOf);
        if (plan.Usage && s.UsageByDay.Count > 0)
        {
            // The last ten received (state saved before holds up to twenty: its newest ten).
            var usageIds = s.RecentUsageEventIds.TakeLast(MaxEvidenceIds).ToArray();
            var last30 = s.UsageByDay.Sum(today - 29, today);
            var prev30 = s.UsageByDay.Sum(today - 59, today - 30);
            var last90 = s.UsageByDay.Sum(today - 89, today);
            var prev90 = s.UsageByDay.Sum(today - 179, today - 90);
            Num("usage.last30d", last30, usageIds);
            Num("usage.prev30d", prev30, usageIds);
            if (prev30 > 0) Num("usage.trend30d", Math.Round((last30 - prev30) / prev30, 4), usageIds);
            Num("usage.last90d", last90, usageIds);
            Num("usage.prev90d", prev90, usageIds);
            if (prev90 > 0) Num("usage.trend90d", Math.Round((last90 - prev90) / prev90, 4), usageIds);
        }
        if (s.LoginsByDay.Count > 0)
        {
            // The logins counted are counted under "login" too, whose newest events are kept as evidence.
            var logins = s.LoginsByDay.Sum(today - 29, today);
            Num("logins.last30d", logins, logins > 0 && s.CountEvidence.TryGetValue("login", out var recentLogins)
                ? recentLogins.IdsIn(recentLogins.Range(today - 29, today)) : []);
        }

        if (plan.TicketsAndBilling && (s.Tickets.Count > 0 || s.EventsApplied > 0))
        {
            var open = s.Tickets.Values.Where(CustomerTimeline.IsOpen).ToList();
            Num("tickets.open", open.Count, Latest(open, t => t.UpdatedAt, t => t.EventId));
            var high = open.Where(t => t.Priority is "high" or "urgent" or "critical").ToList();
            Num("tickets.openHighPriority", high.Count, Latest(high, t => t.UpdatedAt, t => t.EventId));
            var recent = s.Tickets.Values.Where(t => t.OpenedAt > asOf.AddDays(-90)).ToList();
            Num("tickets.opened90d", recent.Count, Latest(recent, t => t.UpdatedAt, t => t.EventId));

            var (failures, failureIds) = OpenPaymentFailures(s, today);
            Num("billing.paymentFailures90d", failures, failureIds);
            var overdue = s.Invoices.Values.Where(i => i.Status == "overdue" || (i.Status == "open" && i.DueDate < asOf)).ToList();
            Num("billing.overdueInvoices", overdue.Count, Latest(overdue, i => i.UpdatedAt, i => i.EventId));
            var unpaid = s.Invoices.Values.Where(i => i.Status is "open" or "overdue").ToList();
            Num("billing.openAmount", unpaid.Sum(i => i.Amount), Latest(unpaid, i => i.UpdatedAt, i => i.EventId));
        }

        if (s.Nps is { } nps)
        {
            Num("nps.latest", nps.Value, [nps.EventId]);
            Num("nps.daysSince", Math.Floor((asOf - nps.At).TotalDays), [nps.EventId]);
        }

        if (plan.WebVisits && s.WebVisits.Count > 0)
        {
            var visits = s.WebVisits.Where(v => v.At > asOf.AddDays(-30) && v.At <= asOf).ToList();
            Num("web.visits30d", visits.Count, visits.TakeLast(10).Select(v => v.EventId).ToArray());
            var pricing = visits.Where(v => v.Category == "pricing").ToList();
            Num("web.pricingVisits30d", pricing.Count, pricing.TakeLast(10).Select(v => v.EventId).ToArray());
            Num("web.distinctVisitors30d", visits.Select(v => v.VisitorId).Where(v => v is not null).Distinct().Count(), []);
        }

        if (plan.WindowedCounts)
            WindowedCounts(s, today, f);
        if (plan.WebBaseline)
            WebBaseline.Add(s, asOf, f);
        if (plan.Documents)
            AddDocuments(s, asOf, f);
        if (plan.News)
            AddNews(s, asOf, f);

        Num("events.total", s.EventsApplied, []);
        if (s.LastEventAt is { } lastAt)
            Num("events.daysSinceLast", Math.Max(0, Math.Floor((asOf - lastAt).TotalDays)), []);
        return new CustomerSnapshot(s.CustomerId, asOf, f);
    }

    /// <summary>
    /// About as many fields as <paramref name="plan"/> derives (per-category counts may add some): every event builds a
    /// snapshot, and the renewal-risk agent's ~26 fields in a table sized for every field cost ~2 KB per event.
    /// </summary>
    private static int Capacity(SnapshotPlan plan) =>
        14 + (plan.Usage ? 6 : 0) + (plan.TicketsAndBilling ? 6 : 0) + (plan.WebVisits ? 3 : 0)
        + (plan.WebBaseline ? WebBaseline.Fields.Count : 0) + (plan.WindowedCounts ? CountWindows.Count * EventTypes.All.Count : 0)
        + (plan.Documents ? 5 : 0) + (plan.News ? 6 : 0);

    /// <summary>
    /// <c>billing.paymentFailures90d</c>: the failed payments of the 90 days ending at <paramref name="today"/> that are still an
    /// open payment problem, i.e. all but those on an invoice paid since (a retry that succeeded); with the newest as evidence.
    /// </summary>
    private static (int Count, string[] Ids) OpenPaymentFailures(CustomerState s, int today)
    {
        static bool InWindow(EventStamp p, int today) => CustomerTimeline.Day(p.At) is var day && day > today - 90 && day <= today;
        var count = s.PaymentFailuresByDay.Sum(today - 89, today);
        List<EventStamp>? evidence = count > 0 ? [.. s.PaymentFailures.Where(p => InWindow(p, today))] : null;
        foreach (var (invoice, failures) in s.FailuresByInvoice)
        {
            var n = failures.ByDay.Sum(today - 89, today);
            if (n == 0 || RecordFolds.IsPaid(s, invoice))
                continue;
            count += n;
            (evidence ??= []).AddRange(failures.Latest.Where(p => InWindow(p, today)));
        }
        if (evidence is null)
            return (count, []);
        evidence.Sort(static (a, b) => a.At != b.At ? a.At.CompareTo(b.At) : string.CompareOrdinal(a.EventId, b.EventId));
        return (count, [.. evidence.Skip(Math.Max(0, evidence.Count - MaxEvidenceIds)).Select(p => p.EventId)]);
    }

    /// <summary>The newest <see cref="MaxEvidenceIds"/> of ids listed oldest first.</summary>
    internal static IReadOnlyList<string> Newest(IReadOnlyList<string> ids) =>
        ids.Count <= MaxEvidenceIds ? ids : ids.Skip(ids.Count - MaxEvidenceIds).ToArray();

    /// <summary>The ids of the newest <see cref="MaxEvidenceIds"/> records by time (ties by id), oldest first: the same whatever order they were stored in.</summary>
    private static string[] Latest<T>(List<T> records, Func<T, DateTimeOffset> at, Func<T, string> id)
    {
        if (records.Count == 0)
            return [];
        // Every snapshot takes this for five fields: a plain array sort, not a LINQ ordering (its keys, enumerators and buffers).
        var keyed = new (DateTimeOffset At, string Id)[records.Count];
        for (var i = 0; i < keyed.Length; i++)
            keyed[i] = (at(records[i]), id(records[i]));
        Array.Sort(keyed, static (a, b) => a.At != b.At ? a.At.CompareTo(b.At) : string.CompareOrdinal(a.Id, b.Id));
        var take = Math.Min(MaxEvidenceIds, keyed.Length);
        var ids = new string[take];
        for (var i = 0; i < take; i++)
            ids[i] = keyed[keyed.Length - take + i].Id;
        return ids;
    }

    /// <summary><c>events.count7d.email</c>, <c>events.count30d.email.inquiry</c>, …: events per type (and category) in a window ending at the snapshot's day.</summary>
    private static void WindowedCounts(CustomerState s, int today, Dictionary<string, SnapshotField> f)
    {
        // Hot path (every event builds a snapshot): names and zero fields are shared, one pass per key.
        foreach (var type in EventTypes.All)
            if (!s.EventsByDay.ContainsKey(type))
                foreach (var zero in ZeroCounts[type])
                    f[zero.Name] = zero;
        Span<int> counts = stackalloc int[3];
        foreach (var (key, days) in s.EventsByDay)
        {
            counts.Clear();
            foreach (var (day, n) in days)
            {
                if (day > today)
                    break;
                for (var w = 0; w < 3; w++)
                    if (today - day < CountWindows[w])
                        counts[w] += n;
            }
            var names = CountNames(key);
            // Each window cites the newest events kept of its own days (one array for the windows that cite the same ones).
            s.CountEvidence.TryGetValue(key, out var recent);
            string[] cited = [];
            (int, int) citedRange = default;
            for (var w = 2; w >= 0; w--)
            {
                var range = counts[w] > 0 && recent is not null ? recent.Range(today - CountWindows[w] + 1, today) : default;
                if (range != citedRange)
                    (cited, citedRange) = (recent?.IdsIn(range) ?? [], range);
                f[names[w]] = new SnapshotField(names[w], counts[w], null, cited);
            }
        }
    }

    private static readonly Dictionary<string, SnapshotField[]> ZeroCounts = EventTypes.All.ToDictionary(
        t => t, t => CountWindows.Select(w => new SnapshotField($"events.count{w}d.{t}", 0, null, [])).ToArray(), StringComparer.Ordinal);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]> CountNameCache = new(StringComparer.Ordinal);

    private static string[] CountNames(string key)
    {
        if (CountNameCache.TryGetValue(key, out var names))
            return names;
        names = CountWindows.Select(w => $"events.count{w}d.{key}").ToArray();
        // Category keys come from event data: cache a bounded number, build the rest each time.
        if (CountNameCache.Count < 4096)
            CountNameCache.TryAdd(key, names);
        return names;
    }

    private static void AddDocuments(CustomerState s, DateTimeOffset asOf, Dictionary<string, SnapshotField> f)
    {
        var docs = s.Documents.Where(d => d.At <= asOf).ToList();
        if (docs.Count == 0)
            return;
        var latest = docs[^1];
        if (latest.Text.Length > 0) f["documents.text"] = SnapshotField.Of("documents.text", latest.Text, latest.EventId);
        if (latest.DocType is { } type) f["documents.docType"] = SnapshotField.Of("documents.docType", type, latest.EventId);
        if (latest.Title is { } title) f["documents.title"] = SnapshotField.Of("documents.title", title, latest.EventId);
        f["documents.count"] = SnapshotField.Of("documents.count", docs.Count, Newest(docs.Select(d => d.EventId).ToArray()));
        f["documents.daysSinceLast"] = SnapshotField.Of("documents.daysSinceLast", Math.Max(0, Math.Floor((asOf - latest.At).TotalDays)), latest.EventId);
    }

    private static void AddNews(CustomerState s, DateTimeOffset asOf, Dictionary<string, SnapshotField> f)
    {
        var news = s.News.Where(n => n.At <= asOf).ToList();
        if (news.Count == 0)
            return;
        var latest = news[^1];
        if (latest.Title is { } title) f["news.title"] = SnapshotField.Of("news.title", title, latest.EventId);
        if (latest.Buyer is { } buyer) f["news.buyer"] = SnapshotField.Of("news.buyer", buyer, latest.EventId);
        if (latest.Description is { } description) f["news.description"] = SnapshotField.Of("news.description", description, latest.EventId);
        // The day it was published (UTC), so a brief read days later (or written from a backfill) says when, not only "today".
        f["news.date"] = SnapshotField.Of("news.date", latest.At.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), latest.EventId);
        f["news.daysSince"] = SnapshotField.Of("news.daysSince", Math.Max(0, Math.Floor((asOf - latest.At).TotalDays)), latest.EventId);
        var recent = news.Where(n => n.At > asOf.AddDays(-30)).ToList();
        f["news.count30d"] = SnapshotField.Of("news.count30d", recent.Count, Newest(recent.Select(n => n.EventId).ToArray()));
    }
}
