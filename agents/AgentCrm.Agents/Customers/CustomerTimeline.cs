namespace AgentCrm.Agents.Customers;

/// <summary>
/// Folds events into <see cref="CustomerState"/>. Pure: the actor and the sandbox's timeline replay
/// run the same code. Event attribute conventions are listed in the README ("Event attributes").
/// </summary>
public static class CustomerTimeline
{
    /// <summary>Who numbered a delivery (an inbox, under the id it drew at start) and its number among that customer's events there (1, 2, 3, …).</summary>
    public sealed record Delivery(string Source, long Seq);

    /// <summary>What a delivery did to the state.</summary>
    public enum Outcome
    {
        /// <summary>Applied.</summary>
        Applied,

        /// <summary>Seen before; the state is unchanged.</summary>
        Duplicate,

        /// <summary>Seen before under another number, which the state now records (save it).</summary>
        DuplicateNumberRecorded,
    }

    /// <summary>True when the event was applied; false when it was seen before (duplicate delivery).</summary>
    public static bool Apply(CustomerState state, CrmEvent e, long inboxSeq = 0, Delivery? delivery = null, bool replay = false) =>
        Deliver(state, e, inboxSeq, delivery, replay) == Outcome.Applied;

    /// <summary>Applies the event unless it was seen before, and says which.</summary>
    /// <param name="state">The customer's state, changed in place (also for a duplicate whose number was not yet recorded).</param>
    /// <param name="e">The event.</param>
    /// <param name="inboxSeq">The embedded inbox's sequence, or 0 for pub/sub deliveries.</param>
    /// <param name="delivery">The source that numbered the event and its number for this customer, when known.</param>
    /// <param name="replay">
    /// An inbox event without a number (stored before numbering) delivered again after its turn failed: it may come after
    /// later events of the customer, so it is checked by id instead of by sequence.
    /// </param>
    public static Outcome Deliver(CustomerState state, CrmEvent e, long inboxSeq = 0, Delivery? delivery = null, bool replay = false)
    {
        var outcome = Admit(state, e, inboxSeq, delivery, replay);
        if (outcome == Outcome.Applied)
            Fold(state, e);
        return outcome;
    }

    /// <summary>
    /// The exactly-once half of <see cref="Deliver"/>: whether the event was seen before, recording its number, inbox
    /// sequence and id; an event it answers <see cref="Outcome.Applied"/> for is then to be <see cref="Fold"/>ed. Called in
    /// arrival order (an inbox event without a number is checked by sequence), while the admitted events of one turn may be
    /// folded in another (the actor folds them in occurredAt order). <c>pending</c>: the events admitted before this one and
    /// not folded yet (a source's last use counts them as applied, as when each was folded at once).
    /// </summary>
    public static Outcome Admit(CustomerState state, CrmEvent e, long inboxSeq = 0, Delivery? delivery = null, bool replay = false, int pending = 0)
    {
        // A numbered delivery is checked exactly against the ranges applied from its source, whatever its order. Under
        // pub/sub every delivery is also checked against the ids of the latest events (the same event accepted by two
        // intake instances has two numbers). Events without a number: by inbox sequence (delivered in order), or by id.
        var known = delivery is { } d && state.Delivered.TryGetValue(d.Source, out var source) && DeliveredRanges.Contains(source.Ranges, d.Seq);
        var seen = known
            || (delivery is null && inboxSeq > 0 && !replay && inboxSeq <= state.LastInboxSeq)
            || ((inboxSeq == 0 || (replay && delivery is null)) && state.RecentEventIds.Contains(e.Id, StringComparer.Ordinal));
        if (delivery is { } numbered && !known)
        {
            Record(state, numbered, state.EventsApplied + 1 + pending);
            StateBytes.Grew(state, numbered.Source);
        }
        if (seen)
            return delivery is not null && !known ? Outcome.DuplicateNumberRecorded : Outcome.Duplicate;

        state.CustomerId = e.CustomerId;
        if (inboxSeq > 0)
            state.LastInboxSeq = Math.Max(state.LastInboxSeq, inboxSeq);
        // Ids are remembered for pub/sub deliveries, and for inbox events stored before numbering (a replay of one checks them).
        if (inboxSeq == 0 || delivery is null)
        {
            state.RecentEventIds.Add(e.Id);
            if (state.RecentEventIds.Count > CustomerState.RecentIdCapacity)
                state.RecentEventIds.RemoveRange(0, state.RecentEventIds.Count - CustomerState.RecentIdCapacity);
        }
        return Outcome.Applied;
    }

    /// <summary>The event's part of the state (counts, days, records), for an event <see cref="Admit"/> answered <see cref="Outcome.Applied"/> for.</summary>
    public static void Fold(CustomerState state, CrmEvent e)
    {
        state.EventsApplied++;
        if (state.FirstEventAt is null || e.OccurredAt < state.FirstEventAt)
            state.FirstEventAt = e.OccurredAt;
        if (state.LastEventAt is null || e.OccurredAt > state.LastEventAt)
            state.LastEventAt = e.OccurredAt;

        switch (e.Type)
        {
            case "profile": RecordFolds.Profile(state, e); break;
            case "contract": RecordFolds.Contract(state, e); break;
            case "usage": state.UsageByDay.Add(Day(e.OccurredAt), e.Num("quantity") ?? 1); Remember(state.RecentUsageEventIds, e.Id, SnapshotBuilder.MaxEvidenceIds); break;
            case "login": state.LoginsByDay.Add(Day(e.OccurredAt), 1); break;
            case "support_ticket": RecordFolds.Ticket(state, e); break;
            case "invoice": RecordFolds.Invoice(state, e); break;
            case "payment": RecordFolds.Payment(state, e); break;
            case "nps": RecordFolds.Nps(state, e); break;
            case "web_visit": ApplyVisit(state, e); break;
            case "document": ApplyDocument(state, e); break;
            case "news": ApplyNews(state, e); break;
            default: break;
        }
        CountEvent(state, e);
        Trim(state);
        StateBytes.Fit(state, e);
    }

    private static void Record(CustomerState state, Delivery delivery, long usedAt)
    {
        if (!state.Delivered.TryGetValue(delivery.Source, out var source))
        {
            if (state.Delivered.Count >= DeliveredRanges.MaxSources)
                state.Delivered.Remove(state.Delivered.MinBy(s => s.Value.LastUsed).Key);
            state.Delivered[delivery.Source] = source = new DeliverySource();
        }
        DeliveredRanges.Add(source.Ranges, delivery.Seq);
        source.LastUsed = usedAt;
    }

    private static void ApplyVisit(CustomerState s, CrmEvent e)
    {
        var visitor = e.Str("visitorId");
        var category = VisitCategory(e);
        Keep(s.WebVisits, new VisitInfo(e.OccurredAt, category, visitor, e.Id), CustomerState.VisitCapacity, v => v.At);
        if (WebBaseline.IsIntent(category))
            s.IntentVisitsByDay.Add(Day(e.OccurredAt), 1);
        if (s.FirstWebVisitAt is not { } first || e.OccurredAt < first)
            s.FirstWebVisitAt = e.OccurredAt;
        if (visitor is null)
            return;
        var domain = e.Str("visitorDomain") ?? DomainOf(e.Str("visitorEmail") ?? e.Str("email"));
        if (s.Visitors.TryGetValue(visitor, out var known))
        {
            if (e.OccurredAt < known.FirstSeen || (known.Domain is null && domain is not null))
                s.Visitors[visitor] = e.OccurredAt < known.FirstSeen
                    ? new(e.OccurredAt, known.Domain ?? domain?.ToLowerInvariant(), e.Id)
                    : known with { Domain = domain!.ToLowerInvariant() };
            return;
        }
        s.Visitors[visitor] = new(e.OccurredAt, domain?.ToLowerInvariant(), e.Id);
        if (s.Visitors.Count > CustomerState.VisitorCapacity)
            ForgetVisitor(s);
    }

    /// <summary>
    /// Makes room among the visitors kept: the earliest seen from another domain goes first (one-off visitors of a busy
    /// site), so the customer's own people — whom "new visitors from its domain" is about — are kept while any other is.
    /// Only when every one kept is the customer's own does its earliest go, and the time it was first seen is kept
    /// (<see cref="CustomerState.OwnVisitorsForgottenUntil"/>): a forgotten visitor who comes back is seen again as new,
    /// so the usual rate is measured only after it (<see cref="WebBaseline"/>).
    /// </summary>
    internal static void ForgetVisitor(CustomerState s)
    {
        var own = s.Domain?.Value?.ToLowerInvariant();
        KeyValuePair<string, VisitorInfo>? other = null;
        KeyValuePair<string, VisitorInfo>? oldest = null;
        foreach (var v in s.Visitors)
        {
            if (oldest is not { } o || v.Value.FirstSeen < o.Value.FirstSeen)
                oldest = v;
            if (!WebBaseline.FromDomain(v.Value.Domain, own) && (other is not { } x || v.Value.FirstSeen < x.Value.FirstSeen))
                other = v;
        }
        var gone = other ?? oldest!.Value;
        s.Visitors.Remove(gone.Key);
        if (other is null && (s.OwnVisitorsForgottenUntil is not { } until || gone.Value.FirstSeen > until))
            s.OwnVisitorsForgottenUntil = gone.Value.FirstSeen;
    }

    private static string? DomainOf(string? email) =>
        email is not null && email.LastIndexOf('@') is var at and > 0 && at < email.Length - 1 ? email[(at + 1)..] : null;

    private static void ApplyDocument(CustomerState s, CrmEvent e)
    {
        var text = e.Str("text") ?? "";
        if (text.Length > CustomerState.MaxDocumentChars)
            text = text[..CustomerState.MaxDocumentChars];
        Keep(s.Documents, new DocumentInfo(e.OccurredAt, Cut(e.Str("docType"), CustomerState.MaxTitleChars)?.ToLowerInvariant(), Cut(e.Str("title"), CustomerState.MaxTitleChars), text, e.Id),
            CustomerState.DocumentCapacity, d => d.At);
        FitText(s.Documents, CustomerState.MaxDocumentTextBytes, d => d.Text, (d, cut) => d with { Text = cut });
        // A procurement notice sent as a document (issue 6: "a news or document event with title, buyer, description") is
        // also filed among the notices, read as news.* like one sent as news: its description, else its text.
        if (IsNotice(e))
            KeepNews(s, e, e.Str("description") ?? e.Str("text"));
    }

    /// <summary>
    /// A document that is a procurement notice: one whose <c>docType</c> says so (<see cref="IsNoticeType"/>). A <c>buyer</c>
    /// alone does not make one: integrators may send it on contracts, and compliance-check reads the same rule.
    /// </summary>
    public static bool IsNotice(CrmEvent e) => e.Type == "document" && IsNoticeType(e.Str("docType"));

    /// <summary>
    /// Whether a document type names a procurement notice or a solicitation: read as words (lower case, punctuation as
    /// spaces), it holds a word of <see cref="NoticeWords"/> ("RFP", "Request for Proposal (RFP)", "tender_notice") or a
    /// phrase of <see cref="NoticePhrases"/> ("call-for-tenders"), or is one of <see cref="NoticeNames"/> whole ("notice").
    /// </summary>
    public static bool IsNoticeType(string? docType)
    {
        if (string.IsNullOrWhiteSpace(docType))
            return false;
        var words = new string(docType.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : ' ').ToArray())
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var joined = string.Join(' ', words);
        var padded = $" {joined} ";
        return words.Any(NoticeWords.Contains) || NoticeNames.Contains(joined)
            || NoticePhrases.Any(p => padded.Contains($" {p} ", StringComparison.Ordinal));
    }

    /// <summary>Words that make a document type a notice wherever they stand in it.</summary>
    public static readonly IReadOnlySet<string> NoticeWords = new HashSet<string>(StringComparer.Ordinal)
    {
        "rfp", "rfq", "rfi", "rfx", "rfso", "rft", "itt", "itb", "ifb", "eoi", "acan", "tender", "tenders", "solicitation",
        "tendernotice", "procurementnotice", "contractnotice", "callfortender", "callfortenders", "invitationtotender",
        "requestforproposal", "requestforproposals", "requestforquotation", "requestforinformation", "bidnotice",
    };

    /// <summary>Phrases that make a document type a notice wherever they stand in it.</summary>
    public static readonly IReadOnlyList<string> NoticePhrases =
    [
        "request for proposal", "request for proposals", "request for quotation", "request for quotations", "request for quote",
        "request for information", "request for tender", "call for tender", "call for tenders", "call for bids", "invitation to tender",
        "invitation to bid", "invitation for bids", "expression of interest", "tender notice", "procurement notice", "contract notice",
        "bid notice", "notice of proposed procurement", "advance contract award notice",
    ];

    /// <summary>Types that are a notice only as the whole name ("notice", not "termination notice").</summary>
    public static readonly IReadOnlySet<string> NoticeNames = new HashSet<string>(StringComparer.Ordinal) { "notice", "procurement", "bid" };

    /// <summary>
    /// What the state keeps of a news item is cut to a headline's and a summary's length: an integrator's 700,000-character
    /// descriptions kept 17.5 MB per customer in its state, written back on every turn.
    /// </summary>
    private static void ApplyNews(CustomerState s, CrmEvent e) => KeepNews(s, e, e.Str("description"));

    private static void KeepNews(CustomerState s, CrmEvent e, string? description)
    {
        Keep(s.News, new NewsInfo(e.OccurredAt, Cut(e.Str("title"), CustomerState.MaxTitleChars), Cut(e.Str("buyer"), CustomerState.MaxTitleChars),
            Cut(description, CustomerState.MaxNewsDescriptionChars), e.Id), CustomerState.NewsCapacity, n => n.At);
        FitText(s.News, CustomerState.MaxNewsDescriptionBytes, n => n.Description, (n, cut) => n with { Description = cut });
    }

    private static string? Cut(string? text, int max) => text is { } t && t.Length > max ? t[..max] : text;

    /// <summary>
    /// Cuts the kept items' texts, the oldest's first, until together they take at most <paramref name="budget"/> bytes in
    /// the saved state (<see cref="StoredText"/>): a character cap alone let five documents of control characters or emoji
    /// take 6 MB, past what daprd takes in one save. The agents read the newest item, whose text fits the budget alone.
    /// </summary>
    internal static void FitText<T>(List<T> list, long budget, Func<T, string?> text, Func<T, string, T> cut)
    {
        var sizes = list.Select(item => StoredText.Bytes(text(item))).ToList();
        var over = sizes.Sum() - budget;
        for (var i = 0; over > 0 && i < list.Count; i++)
        {
            if (text(list[i]) is not { Length: > 0 } full)
                continue;
            var kept = StoredText.FittingLength(full, Math.Max(0, sizes[i] - over), out var bytes);
            list[i] = cut(list[i], full[..kept]);
            over -= sizes[i] - bytes;
        }
    }

    /// <summary>Inserts in event-time order (late events land in place) and drops the oldest beyond the capacity.</summary>
    private static void Keep<T>(List<T> list, T item, int capacity, Func<T, DateTimeOffset> at)
    {
        var i = list.Count;
        while (i > 0 && at(list[i - 1]) > at(item))
            i--;
        list.Insert(i, item);
        if (list.Count > capacity)
            list.RemoveRange(0, list.Count - capacity);
    }

    /// <summary>Maps the many spellings CRMs use onto month-to-month, one-year, two-year.</summary>
    public static string? NormalizeContractType(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
            return null;
        var k = new string(raw.ToLowerInvariant().Where(char.IsLetterOrDigit).ToArray());
        return k switch
        {
            "monthtomonth" or "monthly" or "m2m" => "month-to-month",
            "oneyear" or "1year" or "annual" or "yearly" or "12months" => "one-year",
            "twoyear" or "2year" or "24months" => "two-year",
            _ => raw.Trim().ToLowerInvariant(),
        };
    }

    /// <summary>The page category of a web visit: explicit <c>category</c>, else guessed from the URL.</summary>
    public static string VisitCategory(CrmEvent e)
    {
        if (e.Str("category") is { Length: > 0 } c)
            return c.ToLowerInvariant();
        var url = (e.Str("url") ?? "").ToLowerInvariant();
        foreach (var (keyword, category) in UrlCategories)
            if (url.Contains(keyword, StringComparison.Ordinal))
                return category;
        return "other";
    }

    private static readonly (string Keyword, string Category)[] UrlCategories =
    [
        ("pricing", "pricing"), ("plans", "pricing"), ("security", "security"), ("trust", "security"),
        ("compliance", "compliance"), ("gdpr", "compliance"), ("integration", "integration"), ("api", "integration"),
        ("procurement", "procurement"), ("tender", "procurement"), ("rfp", "procurement"), ("solutions", "solutions"),
        ("cancel", "cancellation"), ("docs", "docs"), ("support", "support"),
    ];

    internal static int Day(DateTimeOffset t) => (int)(t.ToUniversalTime().Ticks / TimeSpan.TicksPerDay - 719162);

    /// <summary>Keeps <paramref name="id"/> as the newest, dropping the oldest past <paramref name="capacity"/> (all of them: state saved when more were kept).</summary>
    private static void Remember(List<string> ids, string id, int capacity)
    {
        ids.Add(id);
        if (ids.Count > capacity)
            ids.RemoveRange(0, ids.Count - capacity);
    }

    /// <summary>Counts the event per day under its type and, when it has a category, under type.category.</summary>
    private static void CountEvent(CustomerState s, CrmEvent e)
    {
        var category = e.Type == "web_visit" ? VisitCategory(e) : e.Str("category");
        Count(s, e.Type, e);
        if (CategoryKey(category) is { } key)
            Count(s, $"{e.Type}.{key}", e);
    }

    private static void Count(CustomerState s, string key, CrmEvent e)
    {
        if (!s.EventsByDay.TryGetValue(key, out var days))
        {
            if (s.EventsByDay.Count >= CustomerState.MaxCountKeys)
                return;
            s.EventsByDay[key] = days = new();
        }
        days.Add(Day(e.OccurredAt), 1);
        // The newest by event time (ties: the later arrival), the evidence each window of the count cites.
        if (s.CountEvidence.TryGetValue(key, out var recent))
            recent.Add(e.Id, e.OccurredAt, SnapshotBuilder.MaxEvidenceIds);
        else
            s.CountEvidence[key] = RecentEvents.Of(e.Id, e.OccurredAt);
    }

    /// <summary>A category as a field-name segment (lower-case letters, digits, underscores), or null.</summary>
    public static string? CategoryKey(string? category)
    {
        if (string.IsNullOrWhiteSpace(category))
            return null;
        var key = new string(category.Trim().ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').Take(40).ToArray());
        return key.Trim('_') is { Length: > 0 } k ? k : null;
    }

    private static void Trim(CustomerState s)
    {
        if (s.LastEventAt is not { } last)
            return;
        var firstCountDay = Day(last) - CustomerState.CountWindowDays;
        foreach (var (key, days) in s.EventsByDay)
        {
            days.TrimBefore(firstCountDay);
            if (days.Count == 0)
                s.EventsByDay.Remove(key);
        }
        foreach (var (key, recent) in s.CountEvidence)
            if (recent.TrimBefore(firstCountDay) || !s.EventsByDay.ContainsKey(key))
                s.CountEvidence.Remove(key);
        var oldestDay = Day(last) - CustomerState.WindowDays;
        var oldest = last.AddDays(-CustomerState.WindowDays);
        s.UsageByDay.TrimBefore(oldestDay);
        s.LoginsByDay.TrimBefore(oldestDay);
        s.PaymentFailuresByDay.TrimBefore(oldestDay);
        s.IntentVisitsByDay.TrimBefore(oldestDay);
        // Runs on every event: no list, closure or iterator per call. Dictionaries are trimmed while enumerated (Remove
        // does not invalidate a Dictionary's enumerator), lists in place.
        RemoveBefore(s.PaymentFailures, oldest);
        foreach (var (invoice, failures) in s.FailuresByInvoice)
        {
            failures.ByDay.TrimBefore(oldestDay);
            RemoveBefore(failures.Latest, oldest);
            if (failures.ByDay.Count == 0)
                s.FailuresByInvoice.Remove(invoice);
        }
        foreach (var (invoice, pending) in s.PendingPayments)
            if (pending.At < oldest)
                s.PendingPayments.Remove(invoice);
        RemoveVisitsBefore(s.WebVisits, oldest);
        foreach (var (id, t) in s.Tickets)
            if (!IsOpen(t) && t.UpdatedAt < oldest)
                s.Tickets.Remove(id);
        // ForgetInvoice only removes (the invoice, and its failures when paid).
        foreach (var (id, invoice) in s.Invoices)
            if (invoice.Status == "paid" && invoice.UpdatedAt < oldest)
                RecordFolds.ForgetInvoice(s, id);
    }

    private static void RemoveBefore(List<EventStamp> stamps, DateTimeOffset oldest)
    {
        var kept = 0;
        for (var i = 0; i < stamps.Count; i++)
            if (stamps[i].At >= oldest)
                stamps[kept++] = stamps[i];
        stamps.RemoveRange(kept, stamps.Count - kept);
    }

    private static void RemoveVisitsBefore(List<VisitInfo> visits, DateTimeOffset oldest)
    {
        var kept = 0;
        for (var i = 0; i < visits.Count; i++)
            if (visits[i].At >= oldest)
                visits[kept++] = visits[i];
        visits.RemoveRange(kept, visits.Count - kept);
    }

    internal static bool IsOpen(TicketInfo t) => t.Status is not ("resolved" or "closed" or "solved");
}
