using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

/// <summary>A busy site keeps more visits than the state holds: its baseline still covers its whole history.</summary>
public sealed class WebBaselineCapTests
{
    private static readonly DateTimeOffset Start = new(2026, 8, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>12 weeks of 100 ordinary page views a day and 2 pricing visits a week, then 5 pricing visits a day for 6 days.</summary>
    private static CustomerState BusySite()
    {
        var s = new CustomerState { CustomerId = "c-1" };
        var n = 0;
        void Visit(DateTimeOffset at, string category) =>
            CustomerTimeline.Apply(s, new CrmEvent($"v{n++}", "c-1", "web_visit", at, "t", JsonSerializer.SerializeToElement(new { category })));
        for (var day = 0; day < 84; day++)
        {
            for (var i = 0; i < 100; i++)
                Visit(Start.AddDays(day).AddMinutes(i * 10), "blog");
            if (day % 7 == 3 && day < 77)
                for (var i = 0; i < 2; i++)
                    Visit(Start.AddDays(day).AddHours(20 + i), "pricing");
            if (day >= 78)
                for (var i = 0; i < 5; i++)
                    Visit(Start.AddDays(day).AddHours(17 + i), "pricing");
        }
        return s;
    }

    [Fact]
    public void ABusySite_PastTheVisitsKept_HasItsWholeHistoryAsBaseline_SoABurstStillShows()
    {
        var s = BusySite();
        Assert.Equal(CustomerState.VisitCapacity, s.WebVisits.Count);

        var snapshot = SnapshotBuilder.Build(s, s.LastEventAt!.Value);

        Assert.Equal(30, snapshot.Number("web.intentVisits7d"));
        Assert.Equal(10, snapshot.Number("web.intentBaselineWeeks"));
        Assert.InRange(snapshot.Number("web.intentWeeklyBaseline")!.Value, 1.5, 2.5);
    }

    [Fact]
    public void StateSavedBeforeIntentVisitsWereCountedPerDay_CountsTheVisitsItKept()
    {
        var s = new CustomerState { CustomerId = "c-1" };
        for (var day = 0; day < 30; day++)
            CustomerTimeline.Apply(s, new CrmEvent($"v{day}", "c-1", "web_visit", Start.AddDays(day), "t", JsonSerializer.SerializeToElement(new { category = day % 2 == 0 ? "pricing" : "blog" })));
        var json = JsonSerializer.SerializeToNode(s, new JsonSerializerOptions(JsonSerializerDefaults.Web))!.AsObject();
        json.Remove("intentVisitsByDay");
        json.Remove("firstWebVisitAt");

        var loaded = json.Deserialize<CustomerState>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        Assert.Equal(15, loaded.IntentVisitsByDay.Sum(0, int.MaxValue));
        Assert.Equal(Start, loaded.FirstWebVisitAt);
    }
}
