using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

public sealed class CustomerTimelineTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static int _n;

    private static CrmEvent E(string type, DateTimeOffset at, string attributes = "{}", string? id = null) =>
        new(id ?? $"e{Interlocked.Increment(ref _n)}", "c-1", type, at, "test", JsonDocument.Parse(attributes).RootElement.Clone());

    [Fact]
    public void Snapshot_DerivesContractUsageTicketsBillingAndNps()
    {
        var s = new CustomerState();
        CustomerTimeline.Apply(s, E("profile", Now.AddDays(-100), """{"name":"ACME","customerSince":"2026-01-01T00:00:00Z"}"""));
        CustomerTimeline.Apply(s, E("contract", Now.AddDays(-100), """{"contractType":"Month-to-month","endDate":"2026-12-12T12:00:00Z","autoRenew":false}"""));
        for (var d = 0; d < 60; d++)
            CustomerTimeline.Apply(s, E("usage", Now.AddDays(-d), $$"""{"quantity":{{(d < 30 ? 6 : 10)}}}"""));
        CustomerTimeline.Apply(s, E("support_ticket", Now.AddDays(-5), """{"ticketId":"T1","status":"open","priority":"high"}"""));
        CustomerTimeline.Apply(s, E("support_ticket", Now.AddDays(-4), """{"ticketId":"T2","status":"open"}"""));
        CustomerTimeline.Apply(s, E("support_ticket", Now.AddDays(-3), """{"ticketId":"T2","status":"resolved"}"""));
        CustomerTimeline.Apply(s, E("payment", Now.AddDays(-2), """{"status":"failed"}""", id: "pay-1"));
        CustomerTimeline.Apply(s, E("payment", Now.AddDays(-200), """{"status":"failed"}"""));
        CustomerTimeline.Apply(s, E("nps", Now.AddDays(-1), """{"score":4}"""));

        var snap = SnapshotBuilder.Build(s, Now);
        Assert.Equal("ACME", snap.Text("profile.name"));
        Assert.Equal("month-to-month", snap.Text("contract.type"));
        Assert.Equal(41, snap.Number("contract.daysToEnd"));
        Assert.Equal(0, snap.Number("contract.autoRenew"));
        Assert.Equal(180, snap.Number("usage.last30d"));
        Assert.Equal(300, snap.Number("usage.prev30d"));
        Assert.Equal(-0.4, snap.Number("usage.trend30d"));
        Assert.Equal(1, snap.Number("tickets.open"));
        Assert.Equal(1, snap.Number("tickets.openHighPriority"));
        Assert.Equal(1, snap.Number("billing.paymentFailures90d"));
        Assert.Equal(["pay-1"], snap.EventIds("billing.paymentFailures90d"));
        Assert.Equal(4, snap.Number("nps.latest"));
        Assert.Equal(304, snap.Number("tenure.days"));
    }

    [Fact]
    public void Apply_SameEventTwice_OrSequenceAlreadySeen_IsIgnored()
    {
        var s = new CustomerState();
        var e = E("usage", Now, """{"quantity":5}""");
        Assert.True(CustomerTimeline.Apply(s, e, inboxSeq: 7));
        Assert.False(CustomerTimeline.Apply(s, e, inboxSeq: 7));
        Assert.False(CustomerTimeline.Apply(s, E("usage", Now), inboxSeq: 6));
        Assert.Equal(1, s.EventsApplied);
        Assert.Equal(5, SnapshotBuilder.Build(s, Now).Number("usage.last30d"));

        // Without a sequence (pub/sub delivery) the event id dedupes.
        var p = new CustomerState();
        Assert.True(CustomerTimeline.Apply(p, e));
        Assert.False(CustomerTimeline.Apply(p, e));
        Assert.Equal(1, p.EventsApplied);
    }

    [Fact]
    public void Only_KeepsJustTheNamedFields()
    {
        var s = new CustomerState();
        CustomerTimeline.Apply(s, E("nps", Now, """{"score":9}"""));
        var full = SnapshotBuilder.Build(s, Now);
        var seen = full.Only(["nps.latest", "contract.type"]);
        Assert.Equal(["nps.latest"], seen.Fields.Keys);
        Assert.All(full.Fields.Keys, k => Assert.True(FieldCatalog.IsValid(k) && SnapshotBuilder.Derives(k), $"{k} is not a listed field with a data category"));
    }
}
