using System.Text.Json;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Tender;
using AgentCrm.Customers;

namespace AgentCrm.Runtime.Tests.Customers;

/// <summary>
/// A web burst that grows visit by visit briefs once, then again only when plainly stronger: the built-in tender agent's
/// scores run through the actor's own cooldown rule (<see cref="CustomerActor.MarksToLeave"/>) as a turn does, one per visit.
/// </summary>
public sealed class TenderRisingBurstTests
{
    private static CrmEvent E(string id, string type, DateTimeOffset at, object attributes) =>
        new(id, "acme-t", type, at, "test", JsonSerializer.SerializeToElement(attributes));

    [Fact]
    public void RisingBurst_BriefsOnce_ThenOnlyWhenPlainlyStronger()
    {
        var kind = new TenderDetectionKind();
        var manifest = kind.BuiltIn;
        var agent = kind.Create(manifest);
        var s = new CustomerState();
        var events = new List<CrmEvent> { E("p", "profile", new DateTimeOffset(2026, 8, 1, 9, 0, 0, TimeSpan.Zero), new { name = "Acme Tools", domain = "acme.example" }) };
        // Three months of a few visits a week by two known people, then from 12-02 a burst of 24 visits over four days
        // (pricing, security, integration, procurement), half of them by four new people from acme.example.
        string[] quiet = ["pricing", "docs", "blog", "security"];
        for (var day = 0; day < 91; day += 2)
            events.Add(E($"q{day}", "web_visit", new DateTimeOffset(2026, 9, 1, 10, 0, 0, TimeSpan.Zero).AddDays(day), new { url = $"https://vendor.example/{quiet[day % 4]}", visitorId = $"v{day % 3 % 2 + 1}", visitorDomain = "acme.example" }));
        string[] burst = ["pricing", "security", "integration", "procurement"];
        for (var k = 0; k < 24; k++)
            events.Add(E($"b{k}", "web_visit", new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero).AddDays(k % 4).AddMinutes(60 * (k % 8) + k),
                new { url = $"https://vendor.example/{burst[k % 4]}/x", visitorId = k < 12 ? $"new{k % 4}" : "v1", visitorEmail = $"{(k < 12 ? $"new{k % 4}" : "v1")}@acme.example" }));

        var fired = new List<double>();
        var briefed = new List<double>();
        foreach (var e in events.OrderBy(e => e.OccurredAt))
        {
            CustomerTimeline.Apply(s, e);
            var asOf = s.LastEventAt!.Value;
            var assessment = agent.Assess(SnapshotBuilder.Build(s, asOf));
            if (!assessment.Fired)
                continue;
            fired.Add(assessment.Score);
            var marks = CustomerActor.MarksToLeave(s, manifest.Id, manifest, assessment, asOf);
            if (marks.Count == 0)
                continue;
            briefed.Add(assessment.Score);
            foreach (var (key, mark) in marks)
                s.LastBriefs[key] = mark;
        }

        // The burst fires on most of its visits, its score climbing (0.49 … 0.97 here); it briefs when it starts, and again
        // only once its score has risen by half the scale (at the default +0.15: three briefs in two days).
        Assert.True(fired.Count >= 10, $"fired {fired.Count} times");
        Assert.Equal(fired[0], briefed[0]);
        Assert.InRange(briefed.Count, 1, 2);
        Assert.All(briefed.Zip(briefed.Skip(1)), pair => Assert.True(pair.Second >= pair.First + 0.5, string.Join(", ", briefed)));
    }
}
