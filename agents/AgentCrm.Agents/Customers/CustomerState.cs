using System.Text.Json.Serialization;

namespace AgentCrm.Agents.Customers;

/// <summary>
/// The derived, bounded state a customer actor keeps: aggregates rather than the raw timeline (raw
/// events stay in the event store), so what a turn saves is bounded whatever the customer's history: a few kilobytes for
/// most customers, and the capacities below for the rest (tickets, invoices, visits, documents).
/// </summary>
public sealed class CustomerState : IJsonOnDeserialized
{
    public const int RecentIdCapacity = 256;
    public const int WindowDays = 180;
    public const int DocumentCapacity = 5;
    public const int NewsCapacity = 20;
    public const int VisitorCapacity = 1000;

    /// <summary>Web visits kept (the newest by event time); the web fields count at most these.</summary>
    public const int VisitCapacity = 2000;

    /// <summary>
    /// Tickets and invoices kept: past it the least recently updated closed ticket (paid invoice) is forgotten first, then
    /// the least recently updated open one, so one customer's thousands of open tickets cannot grow every turn's write.
    /// </summary>
    public const int TicketCapacity = 200;

    /// <inheritdoc cref="TicketCapacity"/>
    public const int InvoiceCapacity = 200;

    /// <summary>Payments seen before their invoice, kept (the oldest dropped first) to settle the invoice when it arrives.</summary>
    public const int PendingPaymentCapacity = 100;

    /// <summary>Longest document text kept (characters); the rest is cut so a turn's state stays bounded.</summary>
    public const int MaxDocumentChars = 200_000;

    /// <summary>A news item's or a document's title, and a news item's buyer, as kept (longer is cut): a headline, not a text.</summary>
    public const int MaxTitleChars = 1_000;

    /// <summary>A news item's description as kept (longer is cut): a summary, not a text.</summary>
    public const int MaxNewsDescriptionChars = 10_000;

    /// <summary>
    /// The bytes the kept documents' texts take together at most in the saved state (UTF-8, escapes included: a letter 1–3
    /// bytes, a control character or an emoji's half 6): past it the oldest document's text is cut first, the same on either
    /// host. The newest, the one agents read, is never cut by it (its <see cref="MaxDocumentChars"/> take 1.2 MB at most);
    /// five contracts of 200,000 Cyrillic letters (2 MB) are kept whole, five of CJK (3 MB) are not.
    /// </summary>
    public const int MaxDocumentTextBytes = 2 * 1024 * 1024;

    /// <summary>The bytes the kept news items' descriptions take together at most, cut as <see cref="MaxDocumentTextBytes"/> (the newest's take 60 KB at most).</summary>
    public const int MaxNewsDescriptionBytes = 512 * 1024;

    /// <summary>
    /// The most the kept documents and news take in the saved state with their titles, types, times and ids: what the budgets
    /// above and the caps in characters allow (a test builds that worst case). It leaves over a megabyte of daprd's default 4 MiB
    /// request body (Dapr:MaxBodyBytes) for the rest of the state and the transaction around it.
    /// </summary>
    public const int MaxDocumentsAndNewsBytes = 3 * 1024 * 1024;

    /// <summary>
    /// The most the whole state takes as saved (UTF-8 JSON as the hosts write it): under Dapr a turn's state goes to daprd in
    /// one request of at most <c>Dapr:MaxBodyBytes</c> (4 MiB by default), the transaction around it included. Each capacity
    /// holds alone, but together, with the 200-character ids intake takes, they passed it: 2,000 visits, 1,000 visitors and
    /// 200 tickets and invoices took 2.5 MB with ASCII ids and 6.9 MB with CJK ones before any document. Past it the fold
    /// forgets what agents read least (<see cref="StateBytes"/>) down to <see cref="ShedToBytes"/>, the same on either host.
    /// </summary>
    public const int MaxStateBytes = 3584 * 1024;

    /// <summary>What a state past <see cref="MaxStateBytes"/> is brought down to: room for the next events before it is measured again.</summary>
    public const int ShedToBytes = 3328 * 1024;

    /// <summary>
    /// At least the bytes the state takes as saved (<see cref="StateBytes"/>): measured, plus a bound on what each event folded
    /// since added. Not saved: unknown after a load, so the first fold measures it.
    /// </summary>
    internal long? BytesBound { get; set; }

    public string CustomerId { get; set; } = "";

    /// <summary>Highest inbox sequence applied (embedded intake delivers each customer's events in order).</summary>
    public long LastInboxSeq { get; set; }

    /// <summary>Ids of the latest events applied, for dedupe when delivery has no sequence (pub/sub).</summary>
    public List<string> RecentEventIds { get; set; } = [];

    /// <summary>
    /// Per delivering source (an inbox, under the id its process draws when it starts), the delivery numbers applied
    /// (<see cref="DeliveredRanges"/>): redeliveries after a crash, a retry or a replay, and pub/sub's at-least-once in any
    /// order, are recognised exactly. At most <see cref="DeliveredRanges.MaxSources"/> sources.
    /// </summary>
    public Dictionary<string, DeliverySource> Delivered { get; set; } = new(StringComparer.Ordinal);

    public long EventsApplied { get; set; }

    public DateTimeOffset? FirstEventAt { get; set; }

    public DateTimeOffset? LastEventAt { get; set; }

    public Stamped<string>? Name { get; set; }

    public Stamped<string>? Segment { get; set; }

    public Stamped<string>? Domain { get; set; }

    /// <summary>The profile's <c>customerSince</c>.</summary>
    public Stamped<DateTimeOffset>? CustomerSince { get; set; }

    /// <summary>The earliest contract start seen: the tenure when no profile states <see cref="CustomerSince"/>.</summary>
    public Stamped<DateTimeOffset>? FirstContractStart { get; set; }

    public ContractInfo? Contract { get; set; }

    /// <summary>Usage quantity per day number (days since 1970-01-01), last <see cref="WindowDays"/> days.</summary>
    public DaySeries<double> UsageByDay { get; set; } = new();

    /// <summary>The ids of the last <see cref="SnapshotBuilder.MaxEvidenceIds"/> usage events received, oldest first: what <c>usage.*</c> names.</summary>
    public List<string> RecentUsageEventIds { get; set; } = [];

    public DaySeries<int> LoginsByDay { get; set; } = new();

    public Dictionary<string, TicketInfo> Tickets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The latest failed payments that name no invoice, by event time (at most <see cref="SnapshotBuilder.MaxEvidenceIds"/>,
    /// newest last): the evidence behind <see cref="PaymentFailuresByDay"/>.
    /// </summary>
    public List<EventStamp> PaymentFailures { get; set; } = [];

    /// <summary>
    /// Failed payments that name no invoice per day number, last <see cref="WindowDays"/> days: the exact count however many
    /// there are. State saved before failures were kept per invoice holds every failure here (which invoice each was for was not
    /// kept), as do the failures of an invoice forgotten from <see cref="FailuresByInvoice"/> while unpaid.
    /// </summary>
    public DaySeries<int> PaymentFailuresByDay { get; set; } = new();

    /// <summary>
    /// Failed payments per invoice they were for (at most <see cref="FailedInvoiceCapacity"/> invoices): they count as an open
    /// payment problem until the invoice is paid (a retry that succeeds settles them), whatever order the events arrive in.
    /// </summary>
    public Dictionary<string, InvoiceFailures> FailuresByInvoice { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Invoices whose failed payments are kept apart: past it a paid one is forgotten first (its failures no longer count),
    /// else the one failing longest ago, whose failures then count with those naming no invoice (never to be settled).
    /// </summary>
    public const int FailedInvoiceCapacity = 100;

    /// <summary>Successful payments per invoice id whose invoice has not arrived yet (at most <see cref="PendingPaymentCapacity"/>).</summary>
    public Dictionary<string, EventStamp> PendingPayments { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// State saved before failed payments were counted per day lists each failure: count them, keep the latest. State saved
    /// before intent visits were counted per day has only the visits kept: count those.
    /// </summary>
    void IJsonOnDeserialized.OnDeserialized()
    {
        ShareEvidenceIds();
        if (LatestEventIds is { } latestIds)
        {
            // The one id kept per key: at its event time, else (saved before the times were kept) on the key's latest day.
            foreach (var (key, id) in latestIds)
                if (!CountEvidence.ContainsKey(key) && EventsByDay.TryGetValue(key, out var days) && days.Count > 0)
                    CountEvidence[key] = RecentEvents.Of(id, LatestEventAt?.GetValueOrDefault(key) is { } at && at != default
                        ? at : DateTimeOffset.UnixEpoch.AddDays(days.LastDay));
            LatestEventIds = null;
            LatestEventAt = null;
        }
        if (IntentVisitsByDay.Count == 0 && WebVisits.Count > 0)
        {
            foreach (var visit in WebVisits.Where(v => WebBaseline.IsIntent(v.Category)))
                IntentVisitsByDay.Add(CustomerTimeline.Day(visit.At), 1);
            FirstWebVisitAt ??= WebVisits.Min(v => v.At);
        }
        if (PaymentFailuresByDay.Count > 0 || PaymentFailures.Count == 0)
            return;
        foreach (var failure in PaymentFailures)
            PaymentFailuresByDay.Add(CustomerTimeline.Day(failure.At), 1);
        PaymentFailures = [.. PaymentFailures.OrderBy(p => p.At).TakeLast(SnapshotBuilder.MaxEvidenceIds)];
    }

    /// <summary>
    /// One string per event id across the evidence read back, and no room past what is held: an event is evidence under its
    /// type and its type.category (a usage event under <c>usage</c> too), and JSON reads each mention as a string of its own
    /// (a state of ~110 events held about 200 such ids, 20 count keys of two lists each, for as long as its actor is active).
    /// </summary>
    private void ShareEvidenceIds()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var recent in CountEvidence.Values)
        {
            Share(recent.Ids, ids);
            Fit(recent.At);
        }
        Share(RecentUsageEventIds, ids);

        static void Share(List<string> list, HashSet<string> ids)
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (ids.TryGetValue(list[i], out var shared))
                    list[i] = shared;
                else
                    ids.Add(list[i]);
            }
            Fit(list);
        }

        static void Fit<T>(List<T> list)
        {
            if (list.Capacity > list.Count)
                list.Capacity = list.Count;
        }
    }

    public Dictionary<string, InvoiceInfo> Invoices { get; set; } = new(StringComparer.Ordinal);

    public Stamped<double>? Nps { get; set; }

    public List<VisitInfo> WebVisits { get; set; } = [];

    /// <summary>
    /// Visits to intent pages (<see cref="WebBaseline.IntentCategories"/>) per day number, last <see cref="WindowDays"/> days:
    /// exact however many there are, so a busy site's baseline does not shrink to the <see cref="VisitCapacity"/> visits kept.
    /// </summary>
    public DaySeries<int> IntentVisitsByDay { get; set; } = new();

    /// <summary>The first web visit seen (event time): how much history the baseline has, whatever was forgotten since.</summary>
    public DateTimeOffset? FirstWebVisitAt { get; set; }

    /// <summary>
    /// Events per day number by type (<c>email</c>) and by type and category (<c>email.inquiry</c>), the last
    /// <see cref="CountWindowDays"/> days, for the windowed counts <c>events.count30d.*</c>; at most <see cref="MaxCountKeys"/> keys.
    /// </summary>
    public Dictionary<string, DaySeries<int>> EventsByDay { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The newest events per <see cref="EventsByDay"/> key by event time (at most <see cref="SnapshotBuilder.MaxEvidenceIds"/>,
    /// newest last), pruned with the series: the evidence behind a count, each window citing those of its days.
    /// </summary>
    public Dictionary<string, RecentEvents> CountEvidence { get; set; } = new(StringComparer.Ordinal);

    /// <summary>State saved before <see cref="CountEvidence"/> kept only the newest event id per key: read, then kept there.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, string>? LatestEventIds { get; set; }

    /// <summary>The event time of each <see cref="LatestEventIds"/> entry, in state saved before <see cref="CountEvidence"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, DateTimeOffset>? LatestEventAt { get; set; }

    public const int CountWindowDays = 90;
    public const int MaxCountKeys = 64;

    /// <summary>
    /// First visit per visitor id (at most <see cref="VisitorCapacity"/>), for "new visitors from the customer's domain": visitors
    /// from other domains are forgotten first, earliest seen first.
    /// </summary>
    public Dictionary<string, VisitorInfo> Visitors { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// When the latest forgotten visitor from the customer's own domain was first seen (null: none forgotten): the customer's
    /// own people outnumbered the visitors kept, and before this time who was new is no longer known.
    /// </summary>
    public DateTimeOffset? OwnVisitorsForgottenUntil { get; set; }

    /// <summary>The latest <see cref="DocumentCapacity"/> documents (contracts, terms), newest last.</summary>
    public List<DocumentInfo> Documents { get; set; } = [];

    /// <summary>The latest <see cref="NewsCapacity"/> news items (procurement notices, announcements), newest last.</summary>
    public List<NewsInfo> News { get; set; } = [];

    /// <summary>Last brief per agent id, or per agent id and finding (<c>id|hash</c>) when the agent names its findings, for the cooldown.</summary>
    public Dictionary<string, BriefMark> LastBriefs { get; set; } = new(StringComparer.Ordinal);
}

public sealed record Stamped<T>(T Value, DateTimeOffset At, string EventId);

public sealed record EventStamp(DateTimeOffset At, string EventId);

/// <summary>
/// The newest events of a kind by event time (ties: the later arrival is newer), oldest first: their ids and, at the same
/// index, their times in Unix milliseconds (numbers rather than timestamps: a state holds up to ten per count key and writes
/// them on every save).
/// </summary>
public sealed class RecentEvents
{
    public List<string> Ids { get; set; } = [];

    public List<long> At { get; set; } = [];

    internal static RecentEvents Of(string id, DateTimeOffset at) => new() { Ids = [id], At = [at.ToUnixTimeMilliseconds()] };

    /// <summary>Keeps the event in time order, dropping the oldest past <paramref name="capacity"/> (an event older than all of a full list is not kept).</summary>
    internal void Add(string id, DateTimeOffset at, int capacity)
    {
        var ms = at.ToUnixTimeMilliseconds();
        var n = Math.Min(Ids.Count, At.Count);
        var i = n;
        while (i > 0 && At[i - 1] > ms)
            i--;
        if (i == 0 && n >= capacity)
            return;
        // The oldest make room before the insert, and a list grows to capacity at most: grown by doubling past it, ten ids
        // took arrays of 16 (two lists per count key, up to 64 keys, held for as long as the customer's actor is active).
        if (n >= capacity)
        {
            var drop = n - capacity + 1;
            if (i < drop)
            {
                // Older than all those kept once a list saved with more than capacity is cut to it: not kept.
                Ids.RemoveRange(0, Ids.Count - capacity);
                At.RemoveRange(0, At.Count - capacity);
                return;
            }
            Ids.RemoveRange(0, drop);
            At.RemoveRange(0, drop);
            i -= drop;
        }
        MakeRoom(Ids, capacity);
        MakeRoom(At, capacity);
        Ids.Insert(i, id);
        At.Insert(i, ms);
        if (Ids.Count > capacity || At.Count > capacity)
        {
            Ids.RemoveRange(0, Math.Max(0, Ids.Count - capacity));
            At.RemoveRange(0, Math.Max(0, At.Count - capacity));
        }
    }

    /// <summary>Room for one more, growing by doubling up to <paramref name="capacity"/>; a list read with room for more (saved state) is cut to it.</summary>
    private static void MakeRoom<T>(List<T> list, int capacity)
    {
        if (list.Count < list.Capacity && list.Capacity <= capacity)
            return;
        list.Capacity = Math.Max(list.Count + 1, Math.Min(capacity, Math.Max(4, list.Count * 2)));
    }

    /// <summary>Forgets all but the newest <paramref name="count"/> (at least one is kept); true when it forgot any.</summary>
    internal bool KeepNewest(int count)
    {
        var drop = Math.Min(Ids.Count, At.Count) - Math.Max(1, count);
        if (drop <= 0)
            return false;
        Ids.RemoveRange(0, drop);
        At.RemoveRange(0, drop);
        return true;
    }

    /// <summary>Forgets the events before <paramref name="firstDay"/> (a day number); true when none is left.</summary>
    internal bool TrimBefore(int firstDay)
    {
        var n = Math.Min(Ids.Count, At.Count);
        var old = 0;
        while (old < n && DayOf(At[old]) < firstDay)
            old++;
        if (old > 0)
        {
            Ids.RemoveRange(0, old);
            At.RemoveRange(0, old);
        }
        return Ids.Count == 0;
    }

    /// <summary>The index range [First, End) of the events on days <paramref name="fromDay"/> to <paramref name="toDay"/>.</summary>
    internal (int First, int End) Range(int fromDay, int toDay)
    {
        var n = Math.Min(Ids.Count, At.Count);
        int first = 0, end = 0;
        for (var i = 0; i < n; i++)
        {
            var day = DayOf(At[i]);
            if (day < fromDay)
                first = i + 1;
            else if (day <= toDay)
                end = i + 1;
        }
        return (first, Math.Max(first, end));
    }

    /// <summary>The ids in an index range of <see cref="Range"/>, oldest first.</summary>
    internal string[] IdsIn((int First, int End) range)
    {
        if (range.End <= range.First)
            return [];
        var ids = new string[range.End - range.First];
        Ids.CopyTo(range.First, ids, 0, ids.Length);
        return ids;
    }

    /// <summary>The day number (days since 1970-01-01, as <see cref="CustomerTimeline.Day"/>) of a time in Unix milliseconds.</summary>
    private static int DayOf(long ms) => (int)Math.Floor(ms / (double)TimeSpan.MillisecondsPerDay);
}

/// <summary>The failed payments on one invoice: per day number (the exact count) and the latest by event time (the evidence, newest last).</summary>
public sealed class InvoiceFailures
{
    public DaySeries<int> ByDay { get; set; } = new();

    public List<EventStamp> Latest { get; set; } = [];
}

/// <summary>
/// The contract as its events state it. <paramref name="At"/>: the newest contract event's time (its id is
/// <paramref name="EventId"/>); <paramref name="Stated"/>: when each field was last stated (field → event time), so an older
/// event arriving late changes only what no newer event stated. Both are null in state saved before they were kept: every
/// event then counts as newer, as it did.
/// </summary>
public sealed record ContractInfo(
    string? Type, DateTimeOffset? Start, DateTimeOffset? End, double? Value, bool? AutoRenew, string? Status, string EventId,
    DateTimeOffset? At = null, Dictionary<string, DateTimeOffset>? Stated = null);

/// <summary>A ticket: <paramref name="Status"/> from its newest event, <paramref name="Priority"/> as last stated, at <paramref name="PriorityAt"/> (null: never stated, or saved before).</summary>
public sealed record TicketInfo(string Status, string Priority, DateTimeOffset OpenedAt, DateTimeOffset UpdatedAt, string EventId, DateTimeOffset? PriorityAt = null);

/// <summary>An invoice; <paramref name="Stated"/> as for <see cref="ContractInfo"/> (a payment states the status <c>paid</c>).</summary>
public sealed record InvoiceInfo(string Status, double Amount, DateTimeOffset? DueDate, DateTimeOffset UpdatedAt, string EventId, Dictionary<string, DateTimeOffset>? Stated = null);

public sealed record VisitInfo(DateTimeOffset At, string Category, string? VisitorId, string EventId);

public sealed record VisitorInfo(DateTimeOffset FirstSeen, string? Domain, string EventId);

public sealed record DocumentInfo(DateTimeOffset At, string? DocType, string? Title, string Text, string EventId);

public sealed record NewsInfo(DateTimeOffset At, string? Title, string? Buyer, string? Description, string EventId);

/// <summary>A brief's cooldown mark: when it was written and the score it briefed.</summary>
public sealed record BriefMark(DateTimeOffset At, double Score)
{
    /// <summary>
    /// How long the mark holds its finding back when longer than the manifest's cooldown (the finding's
    /// <see cref="Finding.CooldownDays"/>); 0, and not written, for the manifest's (marks saved before it read so).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double CooldownDays { get; init; }

    /// <summary>How long the mark holds its finding back under a manifest cooldown of <paramref name="manifestDays"/>: the longer of the two.</summary>
    public TimeSpan HoldsFor(double manifestDays) => TimeSpan.FromDays(Math.Max(manifestDays, CooldownDays));
}
