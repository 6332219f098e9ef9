using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

/// <summary>
/// What a customer's count evidence holds in memory while its actor is active: no room past the ten ids kept, and one
/// string per event id however many count keys cite it once the state is read back. What is kept does not change.
/// </summary>
public sealed class EvidenceMemoryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private static CrmEvent E(string id, DateTimeOffset at) =>
        new(id, "c-1", "email", at, "test", JsonSerializer.SerializeToElement(new { category = "inquiry" }));

    [Fact]
    public void HundredEvents_EachEvidenceListHoldsRoomForTenOnly_TheTenNewestKept()
    {
        var s = new CustomerState();
        for (var i = 0; i < 100; i++)
            CustomerTimeline.Apply(s, E($"m{i:00}", Now.AddMinutes(i)));

        var recent = s.CountEvidence["email"];
        Assert.Equal(Enumerable.Range(90, 10).Select(i => $"m{i:00}"), recent.Ids);
        Assert.Equal(SnapshotBuilder.MaxEvidenceIds, recent.Ids.Capacity);
        Assert.Equal(SnapshotBuilder.MaxEvidenceIds, recent.At.Capacity);
    }

    [Fact]
    public void StateReadBack_OneStringPerEventId_AcrossCountKeysAndUsage_ListsWithoutSpareRoom()
    {
        var s = new CustomerState();
        for (var i = 0; i < 12; i++)
            CustomerTimeline.Apply(s, E($"m{i:00}", Now.AddMinutes(i)));
        CustomerTimeline.Apply(s, new CrmEvent("u-1", "c-1", "usage", Now.AddMinutes(20), "test", JsonSerializer.SerializeToElement(new { quantity = 2 })));

        var read = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(s, CustomerStateJson.Default.CustomerState), CustomerStateJson.Default.CustomerState)!;

        var byType = read.CountEvidence["email"];
        var byCategory = read.CountEvidence["email.inquiry"];
        Assert.Equal(byType.Ids, byCategory.Ids);
        for (var i = 0; i < byType.Ids.Count; i++)
            Assert.Same(byType.Ids[i], byCategory.Ids[i]);
        Assert.Same(read.CountEvidence["usage"].Ids[0], read.RecentUsageEventIds[0]);
        Assert.Equal(byType.Ids.Count, byType.Ids.Capacity);
        Assert.Equal(byType.At.Count, byType.At.Capacity);
    }

    [Fact]
    public void StateSavedWithMoreThanTen_AnEventOlderThanTheTenNewest_IsNotKept_TheTenNewestStay()
    {
        var s = new CustomerState();
        for (var i = 0; i < 13; i++)
            CustomerTimeline.Apply(s, E($"m{i:00}", Now.AddMinutes(i)));
        // Saved with 13 (more than are kept now).
        s.CountEvidence["email"] = new RecentEvents
        {
            Ids = [.. Enumerable.Range(0, 13).Select(i => $"m{i:00}")],
            At = [.. Enumerable.Range(0, 13).Select(i => Now.AddMinutes(i).ToUnixTimeMilliseconds())],
        };

        // Newer than the oldest saved, older than the ten newest.
        CustomerTimeline.Apply(s, E("late", Now.AddMinutes(1.5)));
        Assert.Equal(Enumerable.Range(3, 10).Select(i => $"m{i:00}"), s.CountEvidence["email"].Ids);

        CustomerTimeline.Apply(s, E("new", Now.AddMinutes(30)));
        Assert.Equal(Enumerable.Range(4, 9).Select(i => $"m{i:00}").Append("new"), s.CountEvidence["email"].Ids);
        Assert.Equal(10, s.CountEvidence["email"].At.Count);
    }
}
