using System.Text.Json;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Tender;

namespace AgentCrm.Agents.Tests.Tender;

/// <summary>
/// The built-in tender agent on web visits folded by the timeline: a customer's normal weeks stay quiet however many new
/// people it brings, and a burst's brief says when the burst began and counts only its visits.
/// </summary>
public sealed class TenderWebBaselineTests
{
    private static readonly DateTimeOffset Start = new(2026, 8, 20, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Pages = ["pricing", "security", "integration", "procurement", "docs"];

    private static readonly IAgent Agent = new TenderDetectionKind().Create(new TenderDetectionKind().BuiltIn);

    private static CrmEvent E(string id, string type, DateTimeOffset at, object attributes) =>
        new(id, "c-1", type, at, "test", JsonSerializer.SerializeToElement(attributes));

    private static CustomerState Customer(string domain)
    {
        var s = new CustomerState();
        CustomerTimeline.Apply(s, E("p", "profile", Start.AddDays(-10), new { name = "Big Steady Bank", domain }));
        return s;
    }

    private static void Visit(CustomerState s, string id, DateTimeOffset at, string page, string visitor, string domain) =>
        CustomerTimeline.Apply(s, E(id, "web_visit", at, new { url = $"https://vendor.example/{page}", category = page, visitorId = visitor, visitorDomain = domain }));

    [Fact]
    public void BigCustomer_OneNewVisitorADay_StaysQuietOnItsNormalWeeks()
    {
        // The QA's customer: 15 weeks of 8 visits a day (about 45 to buying pages a week), one of them each day a new employee.
        var s = Customer("bsb.example");
        var fired = new List<string>();
        for (var day = 0; day < 105; day++)
        {
            for (var j = 0; j < 8; j++)
                Visit(s, $"v{day}-{j}", Start.AddDays(day).AddHours(9 + j), Pages[(day + j) % Pages.Length], j == 0 ? $"new-{day}" : $"r{(day * 7 + j) % 41}", "bsb.example");
            var result = Agent.Assess(SnapshotBuilder.Build(s, Start.AddDays(day).AddHours(17)));
            if (result.Fired)
                fired.Add($"day {day}: {result.Score} {string.Join("; ", result.Reasons.Select(r => r.Explanation))}");
        }

        Assert.Empty(fired);
        var last = SnapshotBuilder.Build(s, Start.AddDays(104).AddHours(17));
        Assert.Equal(14, last.Number("web.newDomainVisitors14d"));
        Assert.InRange(last.Number("web.newDomainVisitorsBaseline14d")!.Value, 13.5, 14.5);
    }

    [Fact]
    public void BusySite_OneOffVisitorsFromOtherDomains_DoNotMakeTheCustomersRegularsNew()
    {
        // A bank: 3 new employees a day and its 40 regulars, plus 8 one-off visitors a day from other domains. The visitors
        // kept (1,000) fill by day 90; forgetting the earliest seen dropped the bank's regulars, who came back "new" (66
        // new in 14 days against 40.1 usually, 7 briefs on days 98–104).
        var s = Customer("bsb.example");
        var fired = new List<string>();
        for (var day = 0; day < 105; day++)
        {
            for (var j = 0; j < 3; j++)
                Visit(s, $"n{day}-{j}", Start.AddDays(day).AddHours(9 + j), Pages[(day + j) % Pages.Length], $"new-{day}-{j}", "bsb.example");
            for (var j = 0; j < 5; j++)
                Visit(s, $"r{day}-{j}", Start.AddDays(day).AddHours(12 + j), Pages[(day + j + 3) % Pages.Length], $"r{(day * 5 + j) % 40}", "bsb.example");
            for (var j = 0; j < 8; j++)
                Visit(s, $"o{day}-{j}", Start.AddDays(day).AddHours(9).AddMinutes(j * 50), "docs", $"guest-{day}-{j}", $"visitor{(day * 8 + j) % 300}.example");
            var result = Agent.Assess(SnapshotBuilder.Build(s, Start.AddDays(day).AddHours(18)));
            if (result.Fired)
                fired.Add($"day {day}: {result.Score} {string.Join("; ", result.Reasons.Select(r => r.Explanation))}");
        }

        Assert.Empty(fired);
        var last = SnapshotBuilder.Build(s, Start.AddDays(104).AddHours(18));
        Assert.Equal(42, last.Number("web.newDomainVisitors14d"));
        Assert.InRange(last.Number("web.newDomainVisitorsBaseline14d")!.Value, 41, 43);
        Assert.Null(s.OwnVisitorsForgottenUntil);
    }

    [Fact]
    public void OwnVisitorsPastTheCapacity_TheUsualRateIsMeasuredOverTheVisitorsKept()
    {
        // 12 new employees a day: 1,000 are kept for 83 days; the earliest go, and the usual rate is measured after them.
        var s = Customer("bsb.example");
        for (var day = 0; day < 105; day++)
            for (var j = 0; j < 12; j++)
                Visit(s, $"n{day}-{j}", Start.AddDays(day).AddHours(8).AddMinutes(j * 30), Pages[(day + j) % Pages.Length], $"new-{day}-{j}", "bsb.example");

        var last = SnapshotBuilder.Build(s, Start.AddDays(104).AddHours(18));

        Assert.NotNull(s.OwnVisitorsForgottenUntil);
        Assert.Equal(168, last.Number("web.newDomainVisitors14d"));
        Assert.InRange(last.Number("web.newDomainVisitorsBaseline14d")!.Value, 160, 176);
    }

    [Fact]
    public void StateSavedBeforeOwnVisitorsWereKeptApart_IsRead_AndNothingCountsAsForgotten()
    {
        var s = Customer("bsb.example");
        for (var day = 0; day < 30; day++)
            Visit(s, $"v{day}", Start.AddDays(day).AddHours(9), "pricing", $"new-{day}", "bsb.example");
        var json = JsonSerializer.SerializeToNode(s, new JsonSerializerOptions(JsonSerializerDefaults.Web))!.AsObject();
        Assert.True(json.Remove("ownVisitorsForgottenUntil"));

        var loaded = json.Deserialize<CustomerState>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        Assert.Null(loaded.OwnVisitorsForgottenUntil);
        Assert.Equal(30, loaded.Visitors.Count);
        Assert.Equal(14, SnapshotBuilder.Build(loaded, Start.AddDays(29).AddHours(18)).Number("web.newDomainVisitors14d"));
    }

    [Fact]
    public void NewVisitorsBeyondTheCustomersUsual_StillCount()
    {
        // A quiet customer: the same two people a few times a week; then five new people from its domain this fortnight.
        var s = Customer("acme.example");
        for (var day = 0; day < 98; day += 2)
            Visit(s, $"q{day}", Start.AddDays(day).AddHours(10), Pages[day % 4], $"r{day % 2}", "acme.example");
        for (var i = 0; i < 5; i++)
            Visit(s, $"n{i}", Start.AddDays(99 + i).AddHours(11), "pricing", $"new{i}", "acme.example");

        var result = Agent.Assess(SnapshotBuilder.Build(s, Start.AddDays(104)));

        var reason = Assert.Single(result.Reasons, r => r.Field == "web.newDomainVisitors14d");
        Assert.Equal("5 new visitors from the customer's own domain in 14 days, none usually", reason.Explanation);
        Assert.Equal(4.0, reason.Weight, 3);
        Assert.True(result.Fired);
    }

    [Fact]
    public void BurstAfterAnOrdinaryVisit_SaysSinceTheBurstBegan_AndCountsOnlyItsVisits()
    {
        // Twelve weeks of two visits a week to buying pages; an ordinary one on 11-28; the burst from 12-02 on.
        var s = Customer("acme.example");
        var d0 = new DateTimeOffset(2026, 9, 1, 10, 0, 0, TimeSpan.Zero);
        for (var day = 0; day < 88; day += 3)
            Visit(s, $"q{day}", d0.AddDays(day), day % 2 == 0 ? "pricing" : "docs", "v1", "acme.example");
        Visit(s, "ordinary", new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero), "pricing", "v1", "acme.example");
        for (var k = 0; k < 10; k++)
            Visit(s, $"b{k}", new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero).AddHours(k * 5), k < 6 ? "security" : "integration", $"new{k % 3}", "acme.example");

        // 08:00 on 12-04: less than two whole days after the burst's first visit (12-02 09:00), still "since 2026-12-02".
        var snapshot = SnapshotBuilder.Build(s, new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero));
        var result = Agent.Assess(snapshot);

        Assert.True(result.Fired);
        var visits = Assert.Single(result.Reasons, r => r.Field == "web.intentVisits7d");
        Assert.StartsWith("10 visits to buying pages since 2026-12-02 (security 6, integration 4); 11 in 7 days, vs ", visits.Explanation, StringComparison.Ordinal);
        Assert.Equal("pricing 1, security 6, integration 4".Split(", ").Order(), snapshot.Text("web.intentCategories7d")!.Split(", ").Order());
    }

    [Fact]
    public void OrdinaryWeek_HasNoBurstStart()
    {
        var s = Customer("acme.example");
        for (var day = 0; day < 98; day++)
            Visit(s, $"q{day}", Start.AddDays(day).AddHours(10), "pricing", "v1", "acme.example");

        var snapshot = SnapshotBuilder.Build(s, Start.AddDays(97).AddHours(12));

        Assert.Equal(7, snapshot.Number("web.intentVisits7d"));
        Assert.Null(snapshot.Number("web.intentBurstDays"));
        Assert.False(Agent.Assess(snapshot).Fired);
    }
}
