using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

/// <summary>A snapshot's moment (which every brief and audit record copies) is in UTC, whatever offset the event was sent with.</summary>
public sealed class SnapshotAsOfTests
{
    [Fact]
    public void Build_EventSentWithAnOffset_AsOfIsTheSameInstantInUtc()
    {
        var at = new DateTimeOffset(2026, 12, 4, 23, 30, 0, TimeSpan.FromHours(-8));
        var s = new CustomerState();
        CustomerTimeline.Apply(s, new CrmEvent("tz-n", "cx6", "news", at, "test", JsonSerializer.SerializeToElement(new { title = "TBIPS", buyer = "Shared Services Canada" })));

        var snapshot = SnapshotBuilder.Build(s, s.LastEventAt!.Value);

        Assert.Equal(TimeSpan.Zero, snapshot.AsOf.Offset);
        Assert.Equal(at, snapshot.AsOf);
        Assert.Equal("2026-12-05T07:30:00.0000000+00:00", snapshot.AsOf.ToString("O"));
        // Days are counted in UTC too: the news item is from the snapshot's own day.
        Assert.Equal(0, snapshot.Number("news.daysSince"));
    }
}
