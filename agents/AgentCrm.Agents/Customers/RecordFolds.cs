namespace AgentCrm.Agents.Customers;

/// <summary>
/// Folds the events that update a record in place (profile, contract, ticket, invoice, payment, NPS). Each keeps what the
/// newest event by <c>occurredAt</c> states (ties: the later arrival), and an update keeps what it does not state, so the
/// result does not depend on arrival order: the actor (events as they arrive) and the sandbox (events sorted by time)
/// derive the same state. Tickets and invoices are bounded by <see cref="CustomerState.TicketCapacity"/> and
/// <see cref="CustomerState.InvoiceCapacity"/>. A failed payment naming an invoice is kept with that invoice's id, so
/// paying the invoice (before or after the failure arrives) settles it.
/// </summary>
internal static class RecordFolds
{
    /// <summary>True when an event at <paramref name="at"/> is at least as new as the field's last statement (none: always).</summary>
    private static bool Newer(Dictionary<string, DateTimeOffset>? stated, string field, DateTimeOffset at) =>
        stated is null || !stated.TryGetValue(field, out var last) || at >= last;

    private static bool Newer<T>(Stamped<T>? current, DateTimeOffset at) => current is null || at >= current.At;

    public static void Profile(CustomerState s, CrmEvent e)
    {
        var at = e.OccurredAt;
        if (e.Str("name") is { } name && Newer(s.Name, at)) s.Name = new(name, at, e.Id);
        if (e.Str("segment") is { } segment && Newer(s.Segment, at)) s.Segment = new(segment, at, e.Id);
        if (e.Str("domain") is { } domain && Newer(s.Domain, at)) s.Domain = new(domain, at, e.Id);
        if (e.Date("customerSince") is { } since && Newer(s.CustomerSince, at)) s.CustomerSince = new(since, at, e.Id);
    }

    public static void Nps(CustomerState s, CrmEvent e)
    {
        if (e.Num("score") is { } score && Newer(s.Nps, e.OccurredAt))
            s.Nps = new(score, e.OccurredAt, e.Id);
    }

    public static void Contract(CustomerState s, CrmEvent e)
    {
        var old = s.Contract;
        var at = e.OccurredAt;
        var stated = new Statements(old?.Stated, at);
        var newest = old?.At is not { } oldAt || at >= oldAt;
        s.Contract = new(
            CustomerTimeline.NormalizeContractType(e.Str("contractType")) is { } type && stated.Take("type") ? type : old?.Type,
            e.Date("startDate") is { } start && stated.Take("start") ? start : old?.Start,
            e.Date("endDate") is { } end && stated.Take("end") ? end : old?.End,
            e.Num("value") is { } value && stated.Take("value") ? value : old?.Value,
            e.Num("autoRenew") is { } auto && stated.Take("autoRenew") ? auto != 0 : old?.AutoRenew,
            e.Str("status") is { } status && stated.Take("status") ? status : old?.Status ?? "active",
            newest ? e.Id : old!.EventId,
            newest ? at : old!.At,
            stated.Times);
        if (e.Date("startDate") is { } first && (s.FirstContractStart is not { } known || first < known.Value))
            s.FirstContractStart = new(first, at, e.Id);
    }

    public static void Ticket(CustomerState s, CrmEvent e)
    {
        var id = e.Str("ticketId") ?? e.Id;
        var at = e.OccurredAt;
        s.Tickets.TryGetValue(id, out var old);
        var newest = old is null || at >= old.UpdatedAt;
        var (priority, priorityAt) = e.Str("priority") is { } stated && (old?.PriorityAt is not { } last || at >= last)
            ? (stated.ToLowerInvariant(), at)
            : (old?.Priority ?? "normal", old?.PriorityAt);
        s.Tickets[id] = new(
            newest ? (e.Str("status") ?? "open").ToLowerInvariant() : old!.Status,
            priority,
            old is null || at < old.OpenedAt ? at : old.OpenedAt,
            newest ? at : old!.UpdatedAt,
            newest ? e.Id : old!.EventId,
            priorityAt);
        if (s.Tickets.Count > CustomerState.TicketCapacity)
            ForgetTicket(s);
    }

    /// <summary>Forgets the least recently updated resolved ticket, else the least recently updated open one.</summary>
    internal static void ForgetTicket(CustomerState s) => Evict(s.Tickets, t => !CustomerTimeline.IsOpen(t), t => t.UpdatedAt);

    public static void Invoice(CustomerState s, CrmEvent e)
    {
        var id = e.Str("invoiceId") ?? e.Id;
        var at = e.OccurredAt;
        s.Invoices.TryGetValue(id, out var old);
        var stated = new Statements(old?.Stated, at);
        var newest = old is null || at >= old.UpdatedAt;
        var invoice = new InvoiceInfo(
            e.Str("status") is { } status && stated.Take("status") ? status.ToLowerInvariant() : old?.Status ?? "open",
            e.Num("amount") is { } amount && stated.Take("amount") ? amount : old?.Amount ?? 0,
            e.Date("dueDate") is { } due && stated.Take("dueDate") ? due : old?.DueDate,
            newest ? at : old!.UpdatedAt,
            newest ? e.Id : old!.EventId,
            stated.Times);
        // A payment that arrived before its invoice settles it now, as it would have had the invoice come first.
        if (s.PendingPayments.Remove(id, out var payment))
            invoice = Settle(invoice, payment.At);
        s.Invoices[id] = invoice;
        if (s.Invoices.Count > CustomerState.InvoiceCapacity)
            ForgetInvoice(s);
    }

    /// <summary>Forgets the least recently updated paid invoice, else the least recently updated one.</summary>
    internal static void ForgetInvoice(CustomerState s) => ForgetInvoice(s, Oldest(s.Invoices, i => i.Status == "paid", i => i.UpdatedAt));

    /// <summary>
    /// Forgets an invoice, and with a paid one its failed payments: settled, they must not count again once the invoice that
    /// settled them is gone (a failure on an invoice not known to be paid counts).
    /// </summary>
    internal static void ForgetInvoice(CustomerState s, string id)
    {
        if (s.Invoices.Remove(id, out var invoice) && invoice.Status == "paid")
            s.FailuresByInvoice.Remove(id);
    }

    /// <summary>
    /// True when the invoice is paid: its status says so, or a successful payment for it arrived before it did. Failed payments
    /// on it are then settled; on an invoice not known to be paid (or not known at all) they are an open payment problem.
    /// </summary>
    internal static bool IsPaid(CustomerState s, string invoiceId) =>
        s.Invoices.TryGetValue(invoiceId, out var invoice) ? invoice.Status == "paid" : s.PendingPayments.ContainsKey(invoiceId);

    public static void Payment(CustomerState s, CrmEvent e)
    {
        var status = (e.Str("status") ?? "succeeded").ToLowerInvariant();
        if (status is "failed" or "declined" or "error")
        {
            var failure = new EventStamp(e.OccurredAt, e.Id);
            if (e.Str("invoiceId") is { } failed)
                FailOn(s, failed, failure);
            else
            {
                s.PaymentFailuresByDay.Add(CustomerTimeline.Day(e.OccurredAt), 1);
                KeepLatest(s.PaymentFailures, failure, SnapshotBuilder.MaxEvidenceIds);
            }
        }
        else if (e.Str("invoiceId") is { } invoice)
        {
            if (s.Invoices.TryGetValue(invoice, out var inv))
                s.Invoices[invoice] = Settle(inv, e.OccurredAt);
            else
            {
                if (!s.PendingPayments.TryGetValue(invoice, out var earlier) || e.OccurredAt > earlier.At)
                    s.PendingPayments[invoice] = new(e.OccurredAt, e.Id);
                if (s.PendingPayments.Count > CustomerState.PendingPaymentCapacity)
                    EvictOldest(s.PendingPayments);
            }
        }
    }

    /// <summary>Records a failed payment on an invoice (kept apart, so that paying the invoice settles it).</summary>
    private static void FailOn(CustomerState s, string invoiceId, EventStamp failure)
    {
        if (!s.FailuresByInvoice.TryGetValue(invoiceId, out var failures))
            s.FailuresByInvoice[invoiceId] = failures = new InvoiceFailures();
        failures.ByDay.Add(CustomerTimeline.Day(failure.At), 1);
        KeepLatest(failures.Latest, failure, SnapshotBuilder.MaxEvidenceIds);
        if (s.FailuresByInvoice.Count > CustomerState.FailedInvoiceCapacity)
            ForgetFailedInvoice(s);
    }

    /// <summary>
    /// Forgets the failed payments kept for one invoice: a paid one's first (they no longer count), else those of the one failing
    /// longest ago, which then count with the failures naming no invoice.
    /// </summary>
    internal static void ForgetFailedInvoice(CustomerState s)
    {
        var forgotten = Oldest(s.FailuresByInvoice, (id, _) => IsPaid(s, id), f => f.Latest.Count > 0 ? f.Latest[^1].At : DateTimeOffset.MinValue);
        s.FailuresByInvoice.Remove(forgotten, out var unpaid);
        if (IsPaid(s, forgotten))
            return;
        // Still unpaid: its failures keep counting, with those that name no invoice.
        foreach (var (day, n) in unpaid!.ByDay)
            s.PaymentFailuresByDay.Add(day, n);
        foreach (var stamp in unpaid.Latest)
            KeepLatest(s.PaymentFailures, stamp, SnapshotBuilder.MaxEvidenceIds);
    }

    /// <summary>A payment at <paramref name="at"/> states the status <c>paid</c>, unless a newer event stated another.</summary>
    private static InvoiceInfo Settle(InvoiceInfo invoice, DateTimeOffset at)
    {
        var stated = new Statements(invoice.Stated, at);
        return stated.Take("status") ? invoice with { Status = "paid", UpdatedAt = at > invoice.UpdatedAt ? at : invoice.UpdatedAt, Stated = stated.Times } : invoice;
    }

    /// <summary>Forgets one record: the least recently updated of those <paramref name="done"/> says are settled, else of all.</summary>
    private static void Evict<T>(Dictionary<string, T> records, Func<T, bool> done, Func<T, DateTimeOffset> updated) =>
        records.Remove(Oldest(records, done, updated));

    /// <summary>The record to forget (there is one): the least recently updated of those <paramref name="done"/> says are settled, else of all; ties by key.</summary>
    private static string Oldest<T>(Dictionary<string, T> records, Func<T, bool> done, Func<T, DateTimeOffset> updated) =>
        Oldest(records, (_, record) => done(record), updated);

    private static string Oldest<T>(Dictionary<string, T> records, Func<string, T, bool> done, Func<T, DateTimeOffset> updated)
    {
        string? oldest = null, oldestDone = null;
        DateTimeOffset oldestAt = default, oldestDoneAt = default;
        static bool Before(DateTimeOffset at, string key, DateTimeOffset thanAt, string? thanKey) =>
            thanKey is null || at < thanAt || (at == thanAt && string.CompareOrdinal(key, thanKey) < 0);
        foreach (var (key, record) in records)
        {
            var at = updated(record);
            if (Before(at, key, oldestAt, oldest))
                (oldest, oldestAt) = (key, at);
            if (done(key, record) && Before(at, key, oldestDoneAt, oldestDone))
                (oldestDone, oldestDoneAt) = (key, at);
        }
        return oldestDone ?? oldest!;
    }

    /// <summary>Forgets the oldest pending payment.</summary>
    internal static void EvictOldest(Dictionary<string, EventStamp> pending) => Evict(pending, _ => false, p => p.At);

    /// <summary>Inserts in event-time order and keeps the newest <paramref name="capacity"/>.</summary>
    private static void KeepLatest(List<EventStamp> list, EventStamp item, int capacity)
    {
        var i = list.Count;
        while (i > 0 && list[i - 1].At > item.At)
            i--;
        list.Insert(i, item);
        if (list.Count > capacity)
            list.RemoveRange(0, list.Count - capacity);
    }

    /// <summary>
    /// The times a record's fields were stated, as one event updates them: a field is taken when the event is at least as
    /// new as its last statement, and its time recorded (on a copy; the stored record is not changed).
    /// </summary>
    private sealed class Statements(Dictionary<string, DateTimeOffset>? previous, DateTimeOffset at)
    {
        public Dictionary<string, DateTimeOffset> Times { get; } = previous is null ? new(StringComparer.Ordinal) : new(previous, StringComparer.Ordinal);

        public bool Take(string field)
        {
            if (!Newer(previous, field, at))
                return false;
            Times[field] = at;
            return true;
        }
    }
}
