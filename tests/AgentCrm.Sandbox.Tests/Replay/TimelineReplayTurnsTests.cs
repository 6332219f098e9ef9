using AgentCrm.Agents;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Replay;
using AgentCrm.Sandbox.Tests.Cases;

namespace AgentCrm.Sandbox.Tests.Replay;

/// <summary>A timeline case is judged as the live turns judge the customer: as of each event, and at renewal re-scores.</summary>
public sealed class TimelineReplayTurnsTests
{
    /// <summary>Fires when the contract ends in 55 to 65 days, on the event types it subscribes to.</summary>
    private sealed class SixtyDaysOut(params string[] subscribes) : IAgent
    {
        public AgentManifest Manifest { get; } = new()
        {
            Id = "sixty-days", Version = "1.0.0", Kind = "test", Subscribes = subscribes, Reads = ["contract.daysToEnd"],
        };

        public Assessment Assess(CustomerSnapshot snapshot) =>
            snapshot.Number("contract.daysToEnd") is >= 55 and <= 65 ? new Assessment(0.9, true, []) : new Assessment(0.1, false, []);
    }

    // A contract signed 2026-01-01, ending 100 days later (2026-04-11): re-scores on 01-11, 02-10 (60 days out) and 03-12.
    private const string Events = """
        {"id":"c1","customerId":"acme","type":"contract","occurredAt":"2026-01-01T00:00:00Z","attributes":{"contractType":"Monthly","endDate":"2026-04-11T00:00:00Z"}}
        {"id":"u1","customerId":"acme","type":"usage","occurredAt":"2026-03-15T00:00:00Z","attributes":{"quantity":3}}
        """;

    [Fact]
    public void Replay_TimelineCase_FiresAtTheRenewalRescoreSixtyDaysOut_NotAtTheCutoff()
    {
        // At 03-20 the contract ends in 22 days, and the usage event of 03-15 saw 27: only the re-score of 02-10 saw 60.
        var set = SampleData.Timeline(Events, "customerId,cutoff,label\nacme,2026-03-20T00:00:00Z,1\nacme,2026-02-01T00:00:00Z,0\n");

        var contract = ReplayEngine.Replay(new SixtyDaysOut("contract"), set.Cases);
        Assert.True(contract[0].Fired, contract[0].ToString());
        Assert.Equal(0.9, contract[0].Score, 6);
        // By 02-01 only the re-score of 01-11 (90 days out) and the contract's own turn (100 days out) ran.
        Assert.False(contract[1].Fired);
        Assert.Equal(0.1, contract[1].Score, 6);

        // Re-scores run only the versions subscribed to contract: on usage alone the customer was judged once, 27 days out.
        var usage = ReplayEngine.Replay(new SixtyDaysOut("usage"), set.Cases);
        Assert.False(usage[0].Fired);
        Assert.Equal(0.1, usage[0].Score, 6);
        // No usage event by 02-01: never judged, so never fired.
        Assert.False(usage[1].Fired);
        Assert.Equal(0, usage[1].Score);
        Assert.False(usage[1].IsError);
    }

    [Fact]
    public void LoadTimeline_DuplicateProperty_NamesTheLineWithoutAnEmptyByte()
    {
        var ndjson = """{"id":"e1","id":"e2","customerId":"a","type":"usage","occurredAt":"2026-01-01T00:00:00Z"}""";
        var ex = Assert.Throws<CaseSetException>(() => SampleData.Timeline(ndjson, "customerId,cutoff,label\na,2026-06-01T00:00:00Z,1\n"));
        Assert.StartsWith("events.ndjson line 1: malformed JSON: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'id'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("byte", ex.Message, StringComparison.Ordinal);
    }
}
