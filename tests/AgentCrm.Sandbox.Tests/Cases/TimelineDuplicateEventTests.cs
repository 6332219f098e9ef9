using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox.Tests.Cases;

/// <summary>A case file's event ids follow intake's rule: the same event again is a duplicate, skipped; the id reused for another event is refused.</summary>
public sealed class TimelineDuplicateEventTests
{
    private const string Labels = "customerId,cutoff,label\na,2026-06-01T00:00:00Z,1\n";

    private const string Usage = """{"id":"e1","customerId":"a","type":"usage","occurredAt":"2026-01-01T00:00:00Z","source":"crm","attributes":{"quantity":3,"unit":"seats"}}""";

    [Fact]
    public void LoadTimeline_ExactRepeatOfAnEvent_IsSkippedAsIntakeCountsADuplicate()
    {
        // The same event again, formatting aside (attribute order, white space, the instant's offset), as intake compares it.
        const string again = """{ "id":"e1", "customerId":"a", "type":"usage", "occurredAt":"2026-01-01T01:00:00+01:00", "source":"crm", "attributes":{"unit":"seats", "quantity":3} }""";
        var set = SampleData.Timeline(Usage + "\n" + Usage + "\n" + again + "\n", Labels);

        var events = Assert.Single(set.Cases).Timeline!.Events;
        Assert.Equal("e1", Assert.Single(events).Id);
    }

    [Theory]
    [InlineData("""{"id":"e1","customerId":"a","type":"usage","occurredAt":"2026-01-01T00:00:00Z","source":"crm","attributes":{"quantity":4,"unit":"seats"}}""", "attributes differ")]
    [InlineData("""{"id":"e1","customerId":"a","type":"usage","occurredAt":"2026-01-01T00:00:00Z","attributes":{"quantity":3,"unit":"seats"}}""", "source differs")]
    [InlineData("""{"id":"e1","customerId":"b","type":"nps","occurredAt":"2026-01-01T00:00:00Z","source":"crm","attributes":{"score":3}}""", "customerId, type, attributes differ")]
    public void LoadTimeline_IdReusedForAnotherEvent_IsRefusedNamingBothLines(string other, string what)
    {
        var ex = Assert.Throws<CaseSetException>(() => SampleData.Timeline(Usage + "\n\n" + other + "\n", Labels));

        Assert.StartsWith($"events.ndjson line 3: event id 'e1' was used on line 1 for another event: its {what};", ex.Message, StringComparison.Ordinal);
    }
}
