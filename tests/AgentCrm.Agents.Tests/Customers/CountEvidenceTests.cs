using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

/// <summary>
/// The evidence behind <c>events.countNd.*</c>: the newest events per count key by event time, at most ten, pruned with
/// the per-day series; each window cites those of its own days. State saved when only the newest id was kept still loads
/// and cites that one.
/// </summary>
public sealed class CountEvidenceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private static CrmEvent E(string id, string type, DateTimeOffset at, object? attributes = null) =>
        new(id, "c-1", type, at, "test", JsonSerializer.SerializeToElement(attributes ?? new { }));

    private static IReadOnlyList<string> Cited(CustomerState s, string field) => SnapshotBuilder.Build(s, s.LastEventAt!.Value).EventIds(field);

    [Fact]
    public void ManyEvents_InAnyOrder_KeepTheTenNewestByEventTime()
    {
        var s = new CustomerState();
        // 25 emails one hour apart, delivered in a scrambled order (7 and 25 share no factor: each once).
        foreach (var i in Enumerable.Range(0, 25).Select(i => i * 7 % 25))
            CustomerTimeline.Apply(s, E($"m{i:00}", "email", Now.AddHours(-i), new { category = "inquiry" }));

        var newest = Enumerable.Range(0, 10).Reverse().Select(i => $"m{i:00}").ToList();
        Assert.Equal(newest, s.CountEvidence["email"].Ids);
        Assert.Equal(newest, s.CountEvidence["email.inquiry"].Ids);
        Assert.Equal(newest, Cited(s, "events.count7d.email.inquiry"));
        Assert.Equal(25, SnapshotBuilder.Build(s, Now).Number("events.count7d.email"));
    }

    [Fact]
    public void EachWindow_CitesOnlyTheEventsOfItsOwnDays_AndOldEventsArePrunedWithTheSeries()
    {
        var s = new CustomerState();
        foreach (var days in new[] { 100, 60, 20, 3 })
            CustomerTimeline.Apply(s, E($"n{days}", "nps", Now.AddDays(-days), new { score = 5 }));

        // The event 100 days before the newest is outside the 90 days counted: forgotten with its day.
        Assert.Equal(["n60", "n20", "n3"], s.CountEvidence["nps"].Ids);
        Assert.Equal(["n3"], Cited(s, "events.count7d.nps"));
        Assert.Equal(["n20", "n3"], Cited(s, "events.count30d.nps"));
        Assert.Equal(["n60", "n20", "n3"], Cited(s, "events.count90d.nps"));
        // A snapshot of a moment before the newest event cites nothing after it.
        Assert.Equal(["n60", "n20"], SnapshotBuilder.Build(s, Now.AddDays(-10)).EventIds("events.count90d.nps"));
    }

    [Fact]
    public void Logins_CiteTheLoginsCounted()
    {
        var s = new CustomerState();
        foreach (var days in new[] { 40, 12, 1 })
            CustomerTimeline.Apply(s, E($"l{days}", "login", Now.AddDays(-days)));

        var snapshot = SnapshotBuilder.Build(s, Now);
        Assert.Equal(2, snapshot.Number("logins.last30d"));
        Assert.Equal(["l12", "l1"], snapshot.EventIds("logins.last30d"));
    }

    [Fact]
    public void StateSavedWithOnlyTheNewestId_Loads_CitesIt_AndIsWrittenInTheNewShape()
    {
        // As builds before 2026-12-06 wrote it: one id per key, with its time (email) or without (saved before the times: nps).
        var legacy = """
            {"customerId":"c-1","eventsApplied":3,"lastEventAt":"2026-11-20T12:00:00+00:00",
             "eventsByDay":{"email":{"20777":2},"nps":{"20765":1}},
             "latestEventIds":{"email":"m1","nps":"n1"},"latestEventAt":{"email":"2026-11-20T10:00:00+00:00"}}
            """;

        var s = JsonSerializer.Deserialize(legacy, CustomerStateJson.Default.CustomerState)!;

        Assert.Equal(["m1"], Cited(s, "events.count7d.email"));
        Assert.Equal(["n1"], Cited(s, "events.count30d.nps"));
        Assert.Empty(Cited(s, "events.count7d.nps"));
        CustomerTimeline.Apply(s, E("m2", "email", Now.AddHours(1)));
        Assert.Equal(["m1", "m2"], Cited(s, "events.count7d.email"));
        var saved = JsonSerializer.Serialize(s, CustomerStateJson.Default.CustomerState);
        Assert.DoesNotContain("latestEventIds", saved, StringComparison.Ordinal);
        Assert.DoesNotContain("latestEventAt", saved, StringComparison.Ordinal);
        Assert.Equal(["m1", "m2"], Cited(JsonSerializer.Deserialize(saved, CustomerStateJson.Default.CustomerState)!, "events.count7d.email"));
    }
}
