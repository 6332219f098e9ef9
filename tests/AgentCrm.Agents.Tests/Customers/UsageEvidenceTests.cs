using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

/// <summary><c>usage.*</c> names the last 10 usage events received (README, "What a customer's state keeps is bounded"), and the state keeps no more.</summary>
public sealed class UsageEvidenceTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static CrmEvent Usage(int i) =>
        new($"u-{i:D2}", "c-1", "usage", Start.AddMinutes(i), "test", JsonSerializer.SerializeToElement(new { quantity = 1 }));

    [Fact]
    public void EighteenUsageEvents_UsageFieldsNameTheLastTen_TheStateKeepsTen()
    {
        var s = new CustomerState();
        for (var i = 0; i < 18; i++)
            CustomerTimeline.Apply(s, Usage(i));

        var snapshot = SnapshotBuilder.Build(s, s.LastEventAt!.Value);
        var lastTen = Enumerable.Range(8, 10).Select(i => $"u-{i:D2}").ToList();
        Assert.Equal(18, snapshot.Number("usage.last30d"));
        Assert.Equal(lastTen, snapshot.EventIds("usage.last30d"));
        Assert.Equal(lastTen, snapshot.EventIds("usage.last90d"));
        Assert.Equal(lastTen, s.RecentUsageEventIds);
    }

    [Fact]
    public void StateSavedWithTwentyUsageIds_NamesTheLastTen_AndKeepsTenAfterTheNextUsageEvent()
    {
        // State saved while twenty were kept.
        var s = new CustomerState();
        for (var i = 0; i < 20; i++)
            s.UsageByDay.Add(CustomerTimeline.Day(Start), 1);
        s.RecentUsageEventIds = [.. Enumerable.Range(0, 20).Select(i => $"u-{i:D2}")];
        s.LastEventAt = Start.AddMinutes(19);

        Assert.Equal(Enumerable.Range(10, 10).Select(i => $"u-{i:D2}"), SnapshotBuilder.Build(s, s.LastEventAt.Value).EventIds("usage.last30d"));

        CustomerTimeline.Apply(s, Usage(20));
        Assert.Equal(Enumerable.Range(11, 10).Select(i => $"u-{i:D2}"), s.RecentUsageEventIds);
    }
}
