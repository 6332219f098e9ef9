using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

public sealed class DocumentsNewsWebTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
    private static int _n;

    private static CrmEvent E(string type, DateTimeOffset at, object attributes, string? id = null) =>
        new(id ?? $"d{Interlocked.Increment(ref _n)}", "c-1", type, at, "test", JsonSerializer.SerializeToElement(attributes));

    [Fact]
    public void Documents_LatestIsInTheSnapshot_AndOnlyTheLatestFiveAreKept()
    {
        var s = new CustomerState();
        for (var i = 0; i < 7; i++)
            CustomerTimeline.Apply(s, E("document", Now.AddDays(-10 + i), new { text = $"Terms version {i}.", docType = "ToS", title = $"Terms v{i}" }, id: $"doc-{i}"));
        // A late event lands in time order, not last.
        CustomerTimeline.Apply(s, E("document", Now.AddDays(-9), new { text = "Old contract." }, id: "doc-late"));

        var snap = SnapshotBuilder.Build(s, Now);

        Assert.Equal(CustomerState.DocumentCapacity, s.Documents.Count);
        Assert.Equal("Terms version 6.", snap.Text("documents.text"));
        Assert.Equal("tos", snap.Text("documents.docType"));
        Assert.Equal("Terms v6", snap.Text("documents.title"));
        Assert.Equal(["doc-6"], snap.EventIds("documents.text"));
        Assert.Equal(4, snap.Number("documents.daysSinceLast"));
        Assert.DoesNotContain(s.Documents, d => d.EventId == "doc-late");
        Assert.All(SnapshotBuilder.Fields, f => Assert.True(FieldCatalog.IsValid(f), f));
    }

    [Fact]
    public void News_LatestNoticeIsInTheSnapshot_WithItsAge()
    {
        var s = new CustomerState();
        CustomerTimeline.Apply(s, E("news", Now.AddDays(-40), new { title = "Old notice", buyer = "Parks Canada" }));
        CustomerTimeline.Apply(s, E("news", Now.AddDays(-2), new { title = "Network equipment", buyer = "Shared Services Canada", description = "Switches and routers" }, id: "n-2"));

        var snap = SnapshotBuilder.Build(s, Now);

        Assert.Equal("Network equipment", snap.Text("news.title"));
        Assert.Equal("Shared Services Canada", snap.Text("news.buyer"));
        Assert.Equal("Switches and routers", snap.Text("news.description"));
        Assert.Equal(2, snap.Number("news.daysSince"));
        Assert.Equal(1, snap.Number("news.count30d"));
        Assert.Equal(["n-2"], snap.EventIds("news.title"));
    }

    [Fact]
    public void WebBaseline_ComparesThisWeeksIntentVisitsWithTheCustomersOwnWeeks()
    {
        var s = new CustomerState();
        CustomerTimeline.Apply(s, E("profile", Now.AddDays(-200), new { name = "ACME", domain = "acme.com" }));
        // 13 quiet weeks (the baseline counts the latest 12): one pricing visit a week by a known visitor, plus docs visits that are not buying intent.
        for (var week = 1; week <= 13; week++)
        {
            CustomerTimeline.Apply(s, E("web_visit", Now.AddDays(-7 * week - 2), new { url = "https://vendor.example/pricing", visitorId = "v-old", visitorEmail = "old@acme.com" }));
            CustomerTimeline.Apply(s, E("web_visit", Now.AddDays(-7 * week - 3), new { url = "https://vendor.example/docs/start", visitorId = "v-old" }));
        }
        // This week: a burst from day -5, two new visitors from acme.com and one from elsewhere.
        string[] pages = ["pricing", "security", "integrations", "pricing", "trust", "pricing", "procurement"];
        for (var i = 0; i < pages.Length; i++)
            CustomerTimeline.Apply(s, E("web_visit", Now.AddDays(-5 + i * 0.5), new { url = $"https://vendor.example/{pages[i]}", visitorId = $"v-{i % 3}", visitorDomain = i % 3 == 2 ? "gmail.com" : "ACME.com" }));

        var snap = SnapshotBuilder.Build(s, Now);

        Assert.Equal(7, snap.Number("web.intentVisits7d"));
        Assert.Equal(12, snap.Number("web.intentBaselineWeeks"));
        Assert.Equal(1, snap.Number("web.intentWeeklyBaseline"));
        Assert.Equal(5, snap.Number("web.intentBurstDays"));
        Assert.Equal("pricing 3, security 2, integration 1, procurement 1", snap.Text("web.intentCategories7d"));
        Assert.Equal(2, snap.Number("web.newDomainVisitors14d"));
    }

    [Fact]
    public void WebBaseline_YoungAccount_HasNoBaselineWeeksYet()
    {
        var s = new CustomerState();
        CustomerTimeline.Apply(s, E("web_visit", Now.AddDays(-3), new { url = "https://vendor.example/pricing" }));

        var snap = SnapshotBuilder.Build(s, Now);

        Assert.Equal(1, snap.Number("web.intentVisits7d"));
        Assert.Equal(0, snap.Number("web.intentBaselineWeeks"));
        Assert.Null(snap.Number("web.intentWeeklyBaseline"));
        Assert.Null(snap.Number("web.newDomainVisitors14d"));
    }
}
