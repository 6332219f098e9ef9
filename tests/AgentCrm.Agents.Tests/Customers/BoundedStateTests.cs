using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

/// <summary>One customer's thousands of open tickets, unpaid invoices or failed payments keep its state and every turn's write small.</summary>
public sealed class BoundedStateTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static CrmEvent E(string id, string type, DateTimeOffset at, object attributes) =>
        new(id, "c-1", type, at, "test", JsonSerializer.SerializeToElement(attributes));

    private static void AssertEvidenceBounded(CustomerSnapshot snapshot) =>
        Assert.All(snapshot.Fields.Values, f => Assert.True(f.EventIds.Count <= SnapshotBuilder.MaxEvidenceIds, $"{f.Name} names {f.EventIds.Count} events"));

    [Fact]
    public void TenThousandOpenUrgentTickets_StateAndEvidenceStayBounded_TheNewestAreKept()
    {
        var s = new CustomerState();
        CustomerTimeline.Apply(s, E("contract", "contract", Start, new { contractType = "month-to-month", endDate = "2027-01-15T00:00:00Z" }));
        for (var i = 0; i < 10_000; i++)
            CustomerTimeline.Apply(s, E($"ev-{i:D5}", "support_ticket", Start.AddSeconds(i), new { ticketId = $"T{i}", status = "open", priority = "urgent" }));

        Assert.Equal(CustomerState.TicketCapacity, s.Tickets.Count);
        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(s, Web).Length, 1, 64 * 1024);
        var snapshot = SnapshotBuilder.Build(s, s.LastEventAt!.Value);
        AssertEvidenceBounded(snapshot);
        Assert.Equal(CustomerState.TicketCapacity, snapshot.Number("tickets.open"));
        Assert.Equal(CustomerState.TicketCapacity, snapshot.Number("tickets.openHighPriority"));
        // The evidence is the newest tickets, oldest first.
        Assert.Equal(Enumerable.Range(9_990, 10).Select(i => $"ev-{i:D5}"), snapshot.EventIds("tickets.open"));
        Assert.Equal(10_001, snapshot.Number("events.total"));

        // The tickets kept are the most recently updated: resolving one of them is counted.
        CustomerTimeline.Apply(s, E("resolve", "support_ticket", Start.AddSeconds(20_000), new { ticketId = "T9999", status = "resolved" }));
        Assert.Equal(CustomerState.TicketCapacity - 1, SnapshotBuilder.Build(s, s.LastEventAt!.Value).Number("tickets.open"));
    }

    [Fact]
    public void NewsWithHugeTexts_AreKeptAsHeadlineAndSummary_StateStaysUnderAMegabyte()
    {
        // 20 items of 700,000 characters kept 17.5 MB in one customer's state, written back on every turn.
        var s = new CustomerState();
        var huge = new string('x', 700_000);
        for (var i = 0; i < CustomerState.NewsCapacity + 5; i++)
            CustomerTimeline.Apply(s, E($"news-{i}", "news", Start.AddMinutes(i), new { title = huge, buyer = huge, description = huge }));

        Assert.Equal(CustomerState.NewsCapacity, s.News.Count);
        Assert.All(s.News, n => Assert.Equal((CustomerState.MaxTitleChars, CustomerState.MaxTitleChars, CustomerState.MaxNewsDescriptionChars),
            (n.Title!.Length, n.Buyer!.Length, n.Description!.Length)));
        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(s, Web).Length, 1, 1024 * 1024);
    }

    [Theory]
    [InlineData("support_ticket", "ticketId", 200)]
    [InlineData("invoice", "invoiceId", 200)]
    [InlineData("web_visit", "visitorId", 200)]
    [InlineData("web_visit", "visitorEmail", 320)]
    [InlineData("profile", "domain", 320)]
    [InlineData("profile", "name", 1000)]
    [InlineData("usage", "category", 200)]
    public void AKeyOrNameTheStateKeeps_LongerThanItsLimit_IsRefusedAtIntake(string type, string attribute, int max)
    {
        JsonElement Attributes(int length) => JsonSerializer.SerializeToElement(new Dictionary<string, string> { [attribute] = new string('a', length) });

        Assert.Empty(EventAttributes.Problems(type, Attributes(max)));
        var (name, problem) = Assert.Single(EventAttributes.Problems(type, Attributes(max + 1)));
        Assert.Equal(attribute, name);
        Assert.Equal($"{attribute} is longer than {max:N0} characters.", problem);
    }

    [Fact]
    public void ManyOpenTickets_ClosedOnesAreForgottenFirst()
    {
        var s = new CustomerState();
        for (var i = 0; i < 10; i++)
            CustomerTimeline.Apply(s, E($"open-{i}", "support_ticket", Start.AddMinutes(i), new { ticketId = $"O{i}", status = "open" }));
        for (var i = 0; i < CustomerState.TicketCapacity; i++)
            CustomerTimeline.Apply(s, E($"closed-{i}", "support_ticket", Start.AddHours(1).AddMinutes(i), new { ticketId = $"C{i}", status = "closed" }));

        Assert.Equal(CustomerState.TicketCapacity, s.Tickets.Count);
        Assert.Equal(10, SnapshotBuilder.Build(s, s.LastEventAt!.Value).Number("tickets.open"));
    }

    [Fact]
    public void ThousandsOfFailedPaymentsAndUnpaidInvoices_CountsExactOrCapped_StateBounded()
    {
        var s = new CustomerState();
        for (var i = 0; i < 5_000; i++)
        {
            CustomerTimeline.Apply(s, E($"fail-{i:D4}", "payment", Start.AddMinutes(i), new { status = "failed" }));
            CustomerTimeline.Apply(s, E($"inv-{i:D4}", "invoice", Start.AddMinutes(i), new { invoiceId = $"I{i}", amount = 10, status = "overdue" }));
        }

        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(s, Web).Length, 1, 64 * 1024);
        var snapshot = SnapshotBuilder.Build(s, s.LastEventAt!.Value);
        AssertEvidenceBounded(snapshot);
        // Failed payments are counted per day: exact however many.
        Assert.Equal(5_000, snapshot.Number("billing.paymentFailures90d"));
        Assert.Equal(Enumerable.Range(4_990, 10).Select(i => $"fail-{i:D4}"), snapshot.EventIds("billing.paymentFailures90d"));
        // Invoices are capped: the newest are kept.
        Assert.Equal(CustomerState.InvoiceCapacity, snapshot.Number("billing.overdueInvoices"));
        Assert.Equal(10 * CustomerState.InvoiceCapacity, snapshot.Number("billing.openAmount"));
        Assert.Equal("inv-4999", snapshot.EventIds("billing.overdueInvoices")[^1]);
    }

    [Fact]
    public void StateSavedByThePreviousBuild_Loads_AndItsFailedPaymentsAreStillCounted()
    {
        // The shape the previous build saved: every failed payment listed, records without event-time stamps.
        var failures = string.Join(",", Enumerable.Range(0, 30).Select(i => $$"""{"at":"2026-10-{{i % 28 + 1:D2}}T09:00:00+00:00","eventId":"f{{i}}"}"""));
        var json = $$$"""
            {"customerId":"c-1","lastInboxSeq":40,"recentEventIds":[],"delivered":{},"eventsApplied":40,
             "firstEventAt":"2026-09-01T00:00:00+00:00","lastEventAt":"2026-10-30T00:00:00+00:00",
             "contract":{"type":"one-year","start":null,"end":"2027-03-01T00:00:00+00:00","value":1200,"autoRenew":true,"status":"active","eventId":"k1"},
             "usageByDay":{},"recentUsageEventIds":[],"loginsByDay":{},
             "tickets":{"T1":{"status":"open","priority":"high","openedAt":"2026-10-01T00:00:00+00:00","updatedAt":"2026-10-01T00:00:00+00:00","eventId":"t1"}},
             "paymentFailures":[{{{failures}}}],
             "invoices":{"I1":{"status":"open","amount":500,"dueDate":"2026-11-15T00:00:00+00:00","updatedAt":"2026-10-02T00:00:00+00:00","eventId":"i1"}},
             "nps":{"value":4,"at":"2026-10-03T00:00:00+00:00","eventId":"n1"},
             "webVisits":[],"eventsByDay":{},"latestEventIds":{},"visitors":{},"documents":[],"news":[],"lastBriefs":{}}
            """;
        var s = JsonSerializer.Deserialize<CustomerState>(json, Web)!;
        var asOf = new DateTimeOffset(2026, 10, 30, 0, 0, 0, TimeSpan.Zero);

        var before = SnapshotBuilder.Build(s, asOf);
        Assert.Equal(30, before.Number("billing.paymentFailures90d"));
        Assert.Equal(SnapshotBuilder.MaxEvidenceIds, before.EventIds("billing.paymentFailures90d").Count);
        Assert.Equal(1, before.Number("tickets.openHighPriority"));
        Assert.Equal(500, before.Number("billing.openAmount"));

        // Events after the upgrade fold into it as usual; a saved one loads unchanged.
        CustomerTimeline.Apply(s, E("i1-overdue", "invoice", asOf.AddDays(1), new { invoiceId = "I1", status = "overdue" }));
        CustomerTimeline.Apply(s, E("k2", "contract", asOf.AddDays(1), new { value = 1500 }));
        CustomerTimeline.Apply(s, E("f-new", "payment", asOf.AddDays(1), new { status = "failed" }));
        var again = JsonSerializer.Deserialize<CustomerState>(JsonSerializer.SerializeToUtf8Bytes(s, Web), Web)!;
        var after = SnapshotBuilder.Build(again, asOf.AddDays(1));
        Assert.Equal(31, after.Number("billing.paymentFailures90d"));
        Assert.Equal(1, after.Number("billing.overdueInvoices"));
        Assert.Equal(500, after.Number("billing.openAmount"));
        Assert.Equal("one-year", after.Text("contract.type"));
        Assert.Equal(1500, after.Number("contract.value"));
    }
}
