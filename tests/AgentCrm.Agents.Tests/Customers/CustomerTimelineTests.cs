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
    public void Apply_NumberedPubSubDeliveries_OldRedeliveriesOutOfOrder_AreAppliedExactlyOnce()
    {
        // 600 events numbered 1..600 by one intake, delivered out of order (in blocks of 100: evens, then odds), then every
        // one of them redelivered, far beyond the window of recent ids: each applies once.
        var s = new CustomerState();
        var events = Enumerable.Range(1, 600).Select(i => (Seq: (long)i, Event: E("login", Now.AddMinutes(-i)))).ToList();
        var order = events.Chunk(100).SelectMany(block => block.Where(x => x.Seq % 2 == 0).Concat(block.Where(x => x.Seq % 2 == 1))).ToList();
        Assert.All(order, x => Assert.True(CustomerTimeline.Apply(s, x.Event, delivery: new("intake-a", x.Seq))));

        Assert.All(events, x => Assert.False(CustomerTimeline.Apply(s, x.Event, delivery: new("intake-a", x.Seq))));
        Assert.Equal(600, s.EventsApplied);
        Assert.Equal([new SeqRange(1, 600)], s.Delivered["intake-a"].Ranges);

        // Another intake numbers its own events from 1: not confused with the first's.
        Assert.True(CustomerTimeline.Apply(s, E("login", Now), delivery: new("intake-b", 1)));
        Assert.Equal(601, s.EventsApplied);
    }

    [Fact]
    public void Apply_ReplayOfAnOlderInboxEvent_AppliesOnce_AfterLaterEvents()
    {
        var s = new CustomerState();
        var failed = E("nps", Now.AddHours(-2), """{"score":3}""");
        Assert.True(CustomerTimeline.Apply(s, E("login", Now.AddHours(-1)), inboxSeq: 11));

        Assert.True(CustomerTimeline.Apply(s, failed, inboxSeq: 10, replay: true));
        Assert.False(CustomerTimeline.Apply(s, failed, inboxSeq: 10, replay: true));
        Assert.False(CustomerTimeline.Apply(s, failed, inboxSeq: 10));
        Assert.Equal(2, s.EventsApplied);
        Assert.Equal(11, s.LastInboxSeq);
    }

    [Fact]
    public void DeliveredRanges_MergeAcrossGaps_AndForgetTheOldestBeyondTheCap()
    {
        var ranges = new List<SeqRange>();
        foreach (var n in new long[] { 5, 3, 4, 10, 1, 2, 9 })
            DeliveredRanges.Add(ranges, n);
        Assert.Equal([new SeqRange(1, 5), new SeqRange(9, 10)], ranges);
        Assert.True(DeliveredRanges.Contains(ranges, 4));
        Assert.False(DeliveredRanges.Contains(ranges, 7));

        // Past the cap the shortest range is forgotten, never the long run delivered in order.
        var gappy = new List<SeqRange>();
        for (var n = 1L; n <= 1000; n++)
            DeliveredRanges.Add(gappy, n);
        for (var n = 1002L; n <= 1000 + 2 * DeliveredRanges.MaxRanges; n += 2)
            DeliveredRanges.Add(gappy, n);
        Assert.Equal(DeliveredRanges.MaxRanges, gappy.Count);
        Assert.Equal(new SeqRange(1, 1000), gappy[0]);
        Assert.False(DeliveredRanges.Contains(gappy, 1002));
        Assert.True(DeliveredRanges.Contains(gappy, 1000 + 2 * DeliveredRanges.MaxRanges));
    }

    [Fact]
    public void DeliveredRanges_AtTheCap_WithGapsThatNeverFill_StillRecognisesEveryNewEvent()
    {
        // 256 gaps that never fill (dead letters left alone): 1, 2 applied, 3 missing, 4, 5 applied, 6 missing, …
        var s = new CustomerState();
        long n = 1;
        for (var i = 0; i < DeliveredRanges.MaxRanges; i++, n += 3)
        {
            Assert.True(CustomerTimeline.Apply(s, E("login", Now), inboxSeq: n, delivery: new("run", n)));
            Assert.True(CustomerTimeline.Apply(s, E("login", Now), inboxSeq: n + 1, delivery: new("run", n + 1)));
        }
        // Later events, each redelivered (a retry, a crash above the watermark): none applies twice.
        var later = Enumerable.Range(1, 50).Select(i => (Seq: n + i, Event: E("login", Now))).ToList();
        Assert.All(later, x => Assert.True(CustomerTimeline.Apply(s, x.Event, inboxSeq: x.Seq, delivery: new("run", x.Seq))));
        Assert.All(later, x => Assert.False(CustomerTimeline.Apply(s, x.Event, inboxSeq: x.Seq, delivery: new("run", x.Seq))));
        Assert.Equal(DeliveredRanges.MaxRanges, s.Delivered["run"].Ranges.Count);
    }

    [Fact]
    public void Apply_DuplicateById_UnderAnotherNumber_StillRecordsThatNumber()
    {
        // The same event accepted by two intake instances: applied once, and the second number is remembered, so no gap
        // is left in that source's ranges.
        var s = new CustomerState();
        var e = E("login", Now);
        Assert.True(CustomerTimeline.Apply(s, e, delivery: new("intake-a", 1)));
        Assert.Equal(CustomerTimeline.Outcome.DuplicateNumberRecorded, CustomerTimeline.Deliver(s, e, delivery: new("intake-b", 1)));
        Assert.Equal([new SeqRange(1, 1)], s.Delivered["intake-b"].Ranges);
        Assert.Equal(CustomerTimeline.Outcome.Duplicate, CustomerTimeline.Deliver(s, e, delivery: new("intake-b", 1)));
        Assert.Equal(1, s.EventsApplied);
    }

    [Fact]
    public void Apply_ManySources_KeepsTheMostRecentlyUsed()
    {
        // A source per inbox run: a customer who has seen many restarts keeps the latest sources' ranges.
        var s = new CustomerState();
        for (var run = 0; run < DeliveredRanges.MaxSources + 4; run++)
            Assert.True(CustomerTimeline.Apply(s, E("login", Now.AddMinutes(run)), inboxSeq: run + 1, delivery: new($"run-{run}", 1)));
        Assert.Equal(DeliveredRanges.MaxSources, s.Delivered.Count);
        Assert.DoesNotContain("run-0", s.Delivered.Keys);
        Assert.Contains($"run-{DeliveredRanges.MaxSources + 3}", s.Delivered.Keys);
    }

    [Fact]
    public void Apply_NumberedInboxEvent_RedeliveredAfterLaterEvents_IsRecognisedExactly()
    {
        // Embedded: a failed turn's event comes again after the customer's later events (a retry, a crash, a replay).
        var s = new CustomerState();
        var late = E("nps", Now.AddHours(-2), """{"score":3}""");
        Assert.True(CustomerTimeline.Apply(s, E("login", Now.AddHours(-1)), inboxSeq: 11, delivery: new("run", 2)));
        Assert.True(CustomerTimeline.Apply(s, late, inboxSeq: 10, delivery: new("run", 1)));
        Assert.False(CustomerTimeline.Apply(s, late, inboxSeq: 10, delivery: new("run", 1)));
        Assert.False(CustomerTimeline.Apply(s, late, inboxSeq: 10, delivery: new("run", 1), replay: true));
        Assert.Equal(2, s.EventsApplied);
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

/// <summary>Numbers past 10^15 (refused at intake since; stored by an earlier build) never reach a snapshot as infinity.</summary>
public sealed class HugeNumberTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AnEventsHugeQuantity_ReadsAsAbsent_AndAStateWhoseSumsOverflow_LeavesTheFieldOut()
    {
        var s = new CustomerState();
        CustomerTimeline.Apply(s, new CrmEvent("e1", "c-1", "usage", Now.AddDays(-1), "test", JsonSerializer.SerializeToElement(new { quantity = 1e308 })));
        CustomerTimeline.Apply(s, new CrmEvent("e2", "c-1", "usage", Now.AddDays(-1), "test", JsonSerializer.SerializeToElement(new { quantity = 7 })));
        // Read as a usage event without a quantity, which counts as one use.
        Assert.Equal(8, SnapshotBuilder.Build(s, Now).Fields["usage.last30d"].Number);

        // A state saved before the bound, holding 1e308 and 1.7e308 on two days: the sum is infinite.
        s.UsageByDay.Add(CustomerTimeline.Day(Now) - 2, 1e308);
        s.UsageByDay.Add(CustomerTimeline.Day(Now) - 3, 1.7e308);
        var snapshot = SnapshotBuilder.Build(s, Now);

        Assert.False(snapshot.Fields.ContainsKey("usage.last30d"));
        Assert.All(snapshot.Fields.Values, f => Assert.True(f.Number is null || double.IsFinite(f.Number.Value), f.Name));
        JsonSerializer.Serialize(snapshot);
    }
}
