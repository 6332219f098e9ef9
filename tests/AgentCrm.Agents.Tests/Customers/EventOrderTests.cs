using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

/// <summary>The state keeps what the newest event by time says, whatever order events arrive in (as the sandbox, which sorts them, does).</summary>
public sealed class EventOrderTests
{
    private static CrmEvent E(string id, string type, string at, object attributes) =>
        new(id, "c-1", type, DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture), "test", JsonSerializer.SerializeToElement(attributes));

    private static CustomerSnapshot Fold(IEnumerable<CrmEvent> events, DateTimeOffset? asOf = null)
    {
        var s = new CustomerState();
        foreach (var e in events)
            CustomerTimeline.Apply(s, e);
        return SnapshotBuilder.Build(s, asOf ?? s.LastEventAt!.Value);
    }

    private static List<CrmEvent> ByTime(IEnumerable<CrmEvent> events) => [.. events.OrderBy(e => e.OccurredAt)];

    [Fact]
    public void OlderContractAndNps_ArrivingLate_DoNotReplaceTheNewer()
    {
        CrmEvent[] arrived =
        [
            E("k-new", "contract", "2026-11-20T00:00:00Z", new { contractType = "two-year", endDate = "2028-11-20T00:00:00Z" }),
            E("n-new", "nps", "2026-11-20T00:00:00Z", new { score = 10 }),
            E("k-old", "contract", "2026-06-01T00:00:00Z", new { contractType = "month-to-month", endDate = "2026-12-20T00:00:00Z", value = 900 }),
            E("n-old", "nps", "2026-06-01T00:00:00Z", new { score = 1 }),
        ];
        var live = Fold(arrived);

        Assert.Equal("two-year", live.Text("contract.type"));
        Assert.Equal(731, live.Number("contract.daysToEnd"));
        // A field only the older event stated still counts, as it would in time order.
        Assert.Equal(900, live.Number("contract.value"));
        Assert.Equal(["k-new"], live.EventIds("contract.type"));
        Assert.Equal(10, live.Number("nps.latest"));
        Assert.Equal(["n-new"], live.EventIds("nps.latest"));
        AssertSame(Fold(ByTime(arrived)), live);
    }

    [Fact]
    public void ResolvedTicket_ThenItsOlderOpenEvent_StaysResolved()
    {
        var live = Fold(
        [
            E("t-resolved", "support_ticket", "2026-11-20T00:00:00Z", new { ticketId = "T1", status = "resolved" }),
            E("t-open", "support_ticket", "2026-11-10T00:00:00Z", new { ticketId = "T1", status = "open", priority = "urgent" }),
        ]);

        Assert.Equal(0, live.Number("tickets.open"));
        // Opened at the older event's time: counted as opened in the 90 days.
        Assert.Equal(1, live.Number("tickets.opened90d"));
    }

    [Fact]
    public void PaymentBeforeItsInvoice_SettlesTheInvoiceWhenItArrives()
    {
        var live = Fold(
        [
            E("pay", "payment", "2026-11-15T00:00:00Z", new { invoiceId = "I1", status = "succeeded", amount = 500 }),
            E("inv", "invoice", "2026-11-01T00:00:00Z", new { invoiceId = "I1", amount = 500, dueDate = "2026-11-10T00:00:00Z" }),
        ], new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(0, live.Number("billing.overdueInvoices"));
        Assert.Equal(0, live.Number("billing.openAmount"));
    }

    [Fact]
    public void StatusOnlyInvoiceUpdate_KeepsAmountAndDueDate()
    {
        var snapshot = Fold(
        [
            E("inv", "invoice", "2026-11-01T00:00:00Z", new { invoiceId = "I1", amount = 500, dueDate = "2026-11-10T00:00:00Z" }),
            E("inv-overdue", "invoice", "2026-11-11T00:00:00Z", new { invoiceId = "I1", status = "overdue" }),
        ]);

        Assert.Equal(1, snapshot.Number("billing.overdueInvoices"));
        Assert.Equal(500, snapshot.Number("billing.openAmount"));
        Assert.Equal(["inv-overdue"], snapshot.EventIds("billing.overdueInvoices"));

        // An invoice update stating nothing of the status keeps it too, and one stating the amount changes only that.
        var corrected = Fold(
        [
            E("inv", "invoice", "2026-11-01T00:00:00Z", new { invoiceId = "I1", amount = 500, status = "overdue", dueDate = "2026-11-10T00:00:00Z" }),
            E("inv-fix", "invoice", "2026-11-02T00:00:00Z", new { invoiceId = "I1", amount = 450 }),
        ]);
        Assert.Equal(1, corrected.Number("billing.overdueInvoices"));
        Assert.Equal(450, corrected.Number("billing.openAmount"));
    }

    [Fact]
    public void AnyArrivalOrder_GivesTheSnapshotOfTheTimeOrder()
    {
        // Records updated in place, partial updates, a payment, counts: every permutation family gives the same snapshot.
        List<CrmEvent> timeline =
        [
            E("p1", "profile", "2026-05-01T00:00:00Z", new { name = "Old Name", segment = "smb", customerSince = "2024-01-01T00:00:00Z" }),
            E("k1", "contract", "2026-05-01T00:00:00Z", new { contractType = "one-year", startDate = "2025-06-01T00:00:00Z", endDate = "2026-06-01T00:00:00Z", value = 1000, autoRenew = true }),
            E("k2", "contract", "2026-06-01T00:00:00Z", new { contractType = "monthly", endDate = "2026-12-31T00:00:00Z" }),
            E("k3", "contract", "2026-09-01T00:00:00Z", new { autoRenew = false }),
            E("t1", "support_ticket", "2026-09-02T00:00:00Z", new { ticketId = "T1", status = "open", priority = "high" }),
            E("t2", "support_ticket", "2026-09-05T00:00:00Z", new { ticketId = "T1", status = "open" }),
            E("t3", "support_ticket", "2026-09-09T00:00:00Z", new { ticketId = "T2", status = "open", priority = "low" }),
            E("t4", "support_ticket", "2026-09-20T00:00:00Z", new { ticketId = "T2", status = "resolved" }),
            E("i1", "invoice", "2026-09-01T00:00:00Z", new { invoiceId = "I1", amount = 300, dueDate = "2026-09-30T00:00:00Z" }),
            E("i2", "invoice", "2026-10-01T00:00:00Z", new { invoiceId = "I1", status = "overdue" }),
            E("i3", "invoice", "2026-10-02T00:00:00Z", new { invoiceId = "I2", amount = 200, dueDate = "2026-12-30T00:00:00Z" }),
            E("pay", "payment", "2026-10-05T00:00:00Z", new { invoiceId = "I2", status = "succeeded" }),
            E("f1", "payment", "2026-10-06T00:00:00Z", new { status = "failed" }),
            E("f2", "payment", "2026-10-07T00:00:00Z", new { status = "declined" }),
            E("n1", "nps", "2026-08-01T00:00:00Z", new { score = 9 }),
            E("n2", "nps", "2026-10-08T00:00:00Z", new { score = 3 }),
            E("p2", "profile", "2026-10-09T00:00:00Z", new { name = "New Name" }),
            E("u1", "usage", "2026-10-09T00:00:00Z", new { quantity = 4 }),
            E("e1", "email", "2026-10-09T10:00:00Z", new { category = "inquiry" }),
            E("e2", "email", "2026-10-09T11:00:00Z", new { category = "inquiry" }),
        ];
        var expected = Fold(timeline);
        Assert.Equal("New Name", expected.Text("profile.name"));
        Assert.Equal("month-to-month", expected.Text("contract.type"));
        Assert.Equal(0, expected.Number("contract.autoRenew"));
        Assert.Equal(1000, expected.Number("contract.value"));
        Assert.Equal(1, expected.Number("tickets.openHighPriority"));
        Assert.Equal(1, expected.Number("billing.overdueInvoices"));
        Assert.Equal(300, expected.Number("billing.openAmount"));
        Assert.Equal(2, expected.Number("billing.paymentFailures90d"));
        Assert.Equal(3, expected.Number("nps.latest"));

        var reversed = Enumerable.Reverse(timeline).ToList();
        AssertSame(expected, Fold(reversed));
        for (var seed = 1; seed <= 20; seed++)
        {
            var shuffled = timeline.ToList();
            new Random(seed).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(shuffled));
            AssertSame(expected, Fold(shuffled));
        }
    }

    private static void AssertSame(CustomerSnapshot expected, CustomerSnapshot actual)
    {
        Assert.Equal(expected.AsOf, actual.AsOf);
        Assert.Equal(expected.Fields.Keys.Order(StringComparer.Ordinal), actual.Fields.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, field) in expected.Fields)
        {
            var other = actual.Fields[name];
            Assert.True(field.Value?.Equals(other.Value) ?? other.Value is null, $"{name}: {field.Value} in time order, {other.Value} out of order");
            Assert.True(field.EventIds.SequenceEqual(other.EventIds), $"{name}: [{string.Join(",", field.EventIds)}] in time order, [{string.Join(",", other.EventIds)}] out of order");
        }
    }
}
