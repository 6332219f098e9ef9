using System.Text.Json;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.RenewalRisk;

namespace AgentCrm.Agents.Tests.Customers;

/// <summary>
/// <c>billing.paymentFailures90d</c> counts the failed payments that are still an open payment problem: a failure on an
/// invoice paid since (a card retried until it went through) is settled, whatever order the events arrive in.
/// </summary>
public sealed class SettledPaymentFailuresTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static CrmEvent E(string id, string type, string at, object attributes) =>
        new(id, "payfix", type, DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture), "test", JsonSerializer.SerializeToElement(attributes));

    /// <summary>The QA timeline: three failed tries on invoice P1, then a successful payment of P1.</summary>
    private static readonly CrmEvent[] RetriedCard =
    [
        E("py-p", "profile", "2026-11-01T09:00:00Z", new { name = "Retry Works Inc", customerSince = "2022-01-01" }),
        E("py-i", "invoice", "2026-11-01T09:00:00Z", new { invoiceId = "P1", amount = 900, dueDate = "2026-11-15", status = "open" }),
        E("py-f1", "payment", "2026-11-15T09:00:00Z", new { invoiceId = "P1", amount = 900, status = "failed" }),
        E("py-f2", "payment", "2026-11-16T09:00:00Z", new { invoiceId = "P1", amount = 900, status = "declined" }),
        E("py-f3", "payment", "2026-11-17T09:00:00Z", new { invoiceId = "P1", amount = 900, status = "error" }),
        E("py-ok", "payment", "2026-11-18T09:00:00Z", new { invoiceId = "P1", amount = 900, status = "succeeded" }),
        E("py-n", "nps", "2026-12-01T09:00:00Z", new { score = 6 }),
        E("py-t", "support_ticket", "2026-12-02T09:00:00Z", new { ticketId = "PT1", status = "open", priority = "normal" }),
    ];

    private static CustomerState Fold(IEnumerable<CrmEvent> events)
    {
        var s = new CustomerState();
        foreach (var e in events)
            CustomerTimeline.Apply(s, e);
        return s;
    }

    private static CustomerSnapshot Snapshot(CustomerState s) => SnapshotBuilder.Build(s, s.LastEventAt!.Value);

    [Fact]
    public void Build_FailedTriesThenTheInvoiceIsPaid_CountsNoFailures()
    {
        var beforePaid = Snapshot(Fold(RetriedCard.Take(5)));
        Assert.Equal(3, beforePaid.Number("billing.paymentFailures90d"));
        Assert.Equal(["py-f1", "py-f2", "py-f3"], beforePaid.EventIds("billing.paymentFailures90d"));

        var paid = Snapshot(Fold(RetriedCard));
        Assert.Equal(0, paid.Number("billing.paymentFailures90d"));
        Assert.Empty(paid.EventIds("billing.paymentFailures90d"));
        Assert.Equal(0, paid.Number("billing.overdueInvoices"));
    }

    [Fact]
    public void Assess_RetriedCardPaid_GivesNoBillingReasonOrBillingStep()
    {
        var kind = new RenewalRiskKind();
        var agent = kind.Create(kind.BuiltIn);

        var result = agent.Assess(Snapshot(Fold(RetriedCard)));

        Assert.DoesNotContain(result.Reasons, r => r.Field.StartsWith("billing.", StringComparison.Ordinal));
        Assert.DoesNotContain("failed payment", result.NextStep, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_TheSameEventsInAnyOrder_CountTheSame()
    {
        // The success before the failures, the invoice last (a pending payment settles it), and shuffled.
        var orders = new List<IEnumerable<CrmEvent>> { RetriedCard.Reverse(), RetriedCard.OrderBy(e => e.Type == "invoice") };
        for (var seed = 1; seed <= 10; seed++)
        {
            var shuffled = RetriedCard.ToArray();
            new Random(seed).Shuffle(shuffled);
            orders.Add(shuffled);
        }
        var asOf = RetriedCard.Max(e => e.OccurredAt);
        foreach (var order in orders)
        {
            var snapshot = SnapshotBuilder.Build(Fold(order), asOf);
            Assert.Equal(0, snapshot.Number("billing.paymentFailures90d"));
        }
    }

    [Fact]
    public void Build_FailuresOnUnpaidOrUnknownInvoicesOrNoInvoice_StillCount()
    {
        var s = Fold(
        [
            E("i1", "invoice", "2026-11-01T09:00:00Z", new { invoiceId = "I1", amount = 100, status = "open" }),
            E("i2", "invoice", "2026-11-01T09:00:00Z", new { invoiceId = "I2", amount = 100, status = "open" }),
            E("f-i1", "payment", "2026-11-10T09:00:00Z", new { invoiceId = "I1", status = "failed" }),
            E("f-i2", "payment", "2026-11-11T09:00:00Z", new { invoiceId = "I2", status = "failed" }),
            E("ok-i2", "payment", "2026-11-12T09:00:00Z", new { invoiceId = "I2", status = "succeeded" }),
            E("f-unknown", "payment", "2026-11-13T09:00:00Z", new { invoiceId = "X", status = "declined" }),
            E("f-none", "payment", "2026-11-14T09:00:00Z", new { status = "failed" }),
            // Paid before its invoice arrived: settled too.
            E("ok-i3", "payment", "2026-11-15T09:00:00Z", new { invoiceId = "I3", status = "succeeded" }),
            E("f-i3", "payment", "2026-11-14T10:00:00Z", new { invoiceId = "I3", status = "failed" }),
        ]);

        var snapshot = Snapshot(s);

        Assert.Equal(3, snapshot.Number("billing.paymentFailures90d"));
        Assert.Equal(["f-i1", "f-unknown", "f-none"], snapshot.EventIds("billing.paymentFailures90d"));
    }

    [Fact]
    public void Build_InvoiceStatedOpenAgainAfterThePayment_CountsItsFailuresAgain()
    {
        var s = Fold(RetriedCard.Take(6));
        Assert.Equal(0, Snapshot(s).Number("billing.paymentFailures90d"));

        // A newer invoice event (a charge-back) says P1 is open again: its failed tries are an open problem again.
        CustomerTimeline.Apply(s, E("py-cb", "invoice", "2026-11-20T09:00:00Z", new { invoiceId = "P1", status = "open" }));

        Assert.Equal(3, Snapshot(s).Number("billing.paymentFailures90d"));
    }

    [Fact]
    public void Apply_FailuresOnMoreInvoicesThanKept_CountStaysExactAndStateBounded()
    {
        var s = new CustomerState();
        var start = new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
        var n = CustomerState.FailedInvoiceCapacity * 3;
        for (var i = 0; i < n; i++)
        {
            var at = start.AddMinutes(i).ToString("O");
            CustomerTimeline.Apply(s, E($"i-{i:D4}", "invoice", at, new { invoiceId = $"I{i}", amount = 10, status = "open" }));
            CustomerTimeline.Apply(s, E($"f-{i:D4}", "payment", at, new { invoiceId = $"I{i}", status = "failed" }));
            // Every other invoice is paid.
            if (i % 2 == 0)
                CustomerTimeline.Apply(s, E($"ok-{i:D4}", "payment", at, new { invoiceId = $"I{i}", status = "succeeded" }));
        }

        Assert.InRange(s.FailuresByInvoice.Count, 1, CustomerState.FailedInvoiceCapacity);
        var snapshot = Snapshot(s);
        Assert.Equal(n / 2, snapshot.Number("billing.paymentFailures90d"));
        Assert.Equal(Enumerable.Range(n - 20, 20).Where(i => i % 2 == 1).Select(i => $"f-{i:D4}"), snapshot.EventIds("billing.paymentFailures90d"));
        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(s, CustomerStateJson.Default.CustomerState).Length, 1, 128 * 1024);
    }

    [Fact]
    public void Deserialize_StateSavedBeforeFailuresWereKeptPerInvoice_CountsItsFailuresAndSettlesNewOnes()
    {
        // The shape earlier builds saved: no failuresByInvoice, failures listed (which invoice each was for was not kept).
        var json = """
            {"customerId":"payfix","eventsApplied":3,"lastEventAt":"2026-11-10T09:00:00+00:00",
             "paymentFailures":[{"at":"2026-11-09T09:00:00+00:00","eventId":"old-f1"}],
             "invoices":{"P1":{"status":"open","amount":900,"dueDate":"2026-11-15T00:00:00+00:00","updatedAt":"2026-11-01T09:00:00+00:00","eventId":"py-i"}}}
            """;
        var s = JsonSerializer.Deserialize(json, CustomerStateJson.Default.CustomerState)!;
        Assert.Empty(s.FailuresByInvoice);
        Assert.Equal(1, Snapshot(s).Number("billing.paymentFailures90d"));

        CustomerTimeline.Apply(s, E("new-f", "payment", "2026-11-11T09:00:00Z", new { invoiceId = "P1", status = "failed" }));
        var saved = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(s, CustomerStateJson.Default.CustomerState), CustomerStateJson.Default.CustomerState)!;
        Assert.Equal(2, Snapshot(saved).Number("billing.paymentFailures90d"));
        Assert.Equal(["old-f1", "new-f"], Snapshot(saved).EventIds("billing.paymentFailures90d"));

        CustomerTimeline.Apply(saved, E("new-ok", "payment", "2026-11-12T09:00:00Z", new { invoiceId = "P1", status = "succeeded" }));
        Assert.Equal(1, Snapshot(saved).Number("billing.paymentFailures90d"));
    }
}
