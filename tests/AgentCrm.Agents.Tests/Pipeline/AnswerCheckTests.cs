using AgentCrm.Agents.Pipeline;
using AgentCrm.Agents.Rules;

namespace AgentCrm.Agents.Tests.Pipeline;

/// <summary>What an agent's answer may claim, checked by the pipeline for every kind (live and in the sandbox alike).</summary>
public sealed class AnswerCheckTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static AgentManifest Manifest(double threshold = 0.6) => new()
    {
        Id = "stub", Version = "1.0.0", Kind = "stub", Scenario = "test", Subscribes = ["support_ticket"],
        Reads = ["tickets.open"], Purpose = "test", Threshold = threshold,
    };

    private static CustomerSnapshot Snapshot() => new("c-1", Now, new Dictionary<string, SnapshotField>
    {
        ["tickets.open"] = SnapshotField.Of("tickets.open", 3, "t-1", "t-2"),
        ["contract.daysToEnd"] = SnapshotField.Of("contract.daysToEnd", 40, "k-1"),
    });

    /// <summary>An agent answering what it is given, or what <c>answer</c> makes of the snapshot it was handed.</summary>
    private sealed class Stub(Func<CustomerSnapshot, Assessment?> answer, double threshold = 0.6) : IAgent
    {
        public AgentManifest Manifest { get; } = Manifest(threshold);

        public Assessment Assess(CustomerSnapshot snapshot) => answer(snapshot)!;
    }

    private static Reason Reason(string field = "tickets.open", string explanation = "3 open tickets", params string[] ids) => new(field, 3.0, 0.5, ids, explanation);

    [Fact]
    public void Assess_AFieldsEmptyEventIdList_ThatAnEmbedderBuiltAsAList_IsNotHandedToTheAgentToAddTo()
    {
        // A snapshot is contract: an embedder may build a field citing no event with an empty List. The agent gets its own copy,
        // so an id it adds neither reaches the runtime's snapshot (nor the next agent on the event) nor counts as evidence.
        var cited = new List<string>();
        var snapshot = new CustomerSnapshot("c-1", Now, new Dictionary<string, SnapshotField>
        {
            ["tickets.open"] = new("tickets.open", 3, null, cited),
        });
        var outcome = AssessmentPipeline.Assess(new Stub(s =>
        {
            if (s.Fields["tickets.open"].EventIds is List<string> list)
                list.Add("t-forged");
            return new Assessment(0.9, true, [Reason(ids: "t-forged")]);
        }), snapshot);

        Assert.Empty(cited);
        Assert.Null(outcome.Error);
        Assert.Empty(Assert.Single(outcome.Assessment!.Reasons).EventIds);
    }

    [Fact]
    public void Assess_FiredBelowTheThreshold_IsAnErrorOfTheCall_NotABrief()
    {
        var outcome = AssessmentPipeline.Assess(new Stub(_ => new Assessment(0.1, true, [Reason()])), Snapshot());

        Assert.Null(outcome.Assessment);
        var error = Assert.IsType<AnswerRefusedException>(outcome.Error);
        Assert.Equal("stub@1.0.0 fired with the score 0.1, below its threshold 0.6: an answer fires only when its score reaches the threshold.", error.Message);
    }

    [Fact]
    public void Assess_NotFiredAtOrAboveTheThreshold_IsTheAgentsChoice()
    {
        // compliance-check holds back when it found no clause; Assessment.None (score 0) under a threshold of 0 likewise.
        var outcome = AssessmentPipeline.Assess(new Stub(_ => new Assessment(0.6, false, [Reason()])), Snapshot());

        Assert.Null(outcome.Error);
        Assert.False(outcome.Assessment!.Fired);
    }

    [Theory]
    [InlineData(0.6, true)]
    [InlineData(0.59, false)]
    public void Assess_FiredExactlyWhenTheScoreReachesTheThreshold_IsTheAnswer(double score, bool fired)
    {
        var outcome = AssessmentPipeline.Assess(new Stub(_ => new Assessment(score, fired, [Reason(ids: "t-1")])), Snapshot());

        Assert.Null(outcome.Error);
        Assert.Equal((score, fired), (outcome.Assessment!.Score, outcome.Assessment.Fired));
    }

    [Theory]
    [InlineData(1.5, "stub@1.0.0 returned the score 1.5 at findings[1], outside [0, 1].")]
    [InlineData(double.NaN, "stub@1.0.0 returned the score NaN at findings[1], outside [0, 1].")]
    [InlineData(null, "stub@1.0.0 returned no finding at findings[1] (null).")]
    public void Assess_AFindingWithoutAScoreInRange_OrNull_IsAnErrorNamingItsPlace(double? score, string says)
    {
        // A finding's score is its cooldown's re-brief margin's measure: NaN would never be held back, 1.5 always would.
        var findings = new[] { new Finding("a", 0.9), score is { } x ? new Finding("b", x) : null! };
        var outcome = AssessmentPipeline.Assess(new Stub(_ => new Assessment(0.9, true, [Reason()]) { Findings = findings }), Snapshot());

        Assert.Equal(says, Assert.IsType<AnswerRefusedException>(outcome.Error).Message);
    }

    [Theory]
    [InlineData(-1, "stub@1.0.0 returned the cooldown -1.0 days at findings[1], outside [0, 3651].")]
    [InlineData(double.NaN, "stub@1.0.0 returned the cooldown NaN days at findings[1], outside [0, 3651].")]
    [InlineData(1e12, "stub@1.0.0 returned the cooldown 1000000000000.0 days at findings[1], outside [0, 3651].")]
    public void Assess_AFindingsOwnCooldownOutOfRange_IsAnErrorNamingItsPlace(double days, string says)
    {
        // A mark's age is compared with it as a TimeSpan: NaN would hold nothing back, 1e12 days overflows in the turn.
        var findings = new[] { new Finding("a", 0.9) { CooldownDays = 31 }, new Finding("b", 0.9) { CooldownDays = days } };
        var outcome = AssessmentPipeline.Assess(new Stub(_ => new Assessment(0.9, true, [Reason()]) { Findings = findings }), Snapshot());

        Assert.Equal(says, Assert.IsType<AnswerRefusedException>(outcome.Error).Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void Assess_AFindingWithAnEmptyOrNoKey_IsAnErrorNamingItsPlace(string? key)
    {
        // An empty key is the agent's own cooldown mark: it would hold back every finding of the agent.
        var findings = new[] { new Finding("a", 0.9), new Finding(key!, 0.9) };
        var outcome = AssessmentPipeline.Assess(new Stub(_ => new Assessment(0.9, true, [Reason()]) { Findings = findings }), Snapshot());

        Assert.Equal("stub@1.0.0 returned a finding with no key at findings[1].", Assert.IsType<AnswerRefusedException>(outcome.Error).Message);
    }

    [Fact]
    public void Assess_ANullReason_IsAnErrorNamingItsPlace_NotANullReference()
    {
        var outcome = AssessmentPipeline.Assess(new Stub(_ => new Assessment(0.9, true, [Reason(), null!])), Snapshot());

        Assert.Equal("stub@1.0.0 returned no reason at reasons[1] (null).", Assert.IsType<AnswerRefusedException>(outcome.Error).Message);
    }

    [Theory]
    [InlineData(null, null, "a reason naming no field at reasons[0]")]
    [InlineData("tickets.open", null, "a reason with no explanation at reasons[0] (tickets.open)")]
    [InlineData("tickets.open", "  ", "a reason with no explanation at reasons[0] (tickets.open)")]
    public void Assess_AnEmptyReason_IsAnErrorOfTheCall(string? field, string? explanation, string says)
    {
        var outcome = AssessmentPipeline.Assess(new Stub(_ => new Assessment(0.9, true, [new Reason(field!, null, 1, [], explanation!)])), Snapshot());

        Assert.Contains(says, Assert.IsType<AnswerRefusedException>(outcome.Error).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assess_EventIdsNotBehindTheFieldsGiven_AreDropped()
    {
        // contract.daysToEnd is the customer's but not read by this agent: its event is not this answer's evidence either.
        var outcome = AssessmentPipeline.Assess(new Stub(_ => new Assessment(0.9, true, [Reason(ids: ["t-1", "other-customer-ev", "k-1", null!, "t-2"])])), Snapshot());

        Assert.Equal(["t-1", "t-2"], outcome.Assessment!.Reasons[0].EventIds);
    }

    [Fact]
    public void Assess_AFieldTheAgentAddsToItsSnapshot_IsNotRecordedAsRead()
    {
        Exception? tried = null;
        var outcome = AssessmentPipeline.Assess(new Stub(s =>
        {
            tried = Record.Exception(() => ((IDictionary<string, SnapshotField>)s.Fields)["contract.daysToEnd"] = SnapshotField.Of("contract.daysToEnd", 1));
            tried ??= Record.Exception(() => ((IList<string>)s.Fields["tickets.open"].EventIds)[0] = "forged");
            return new Assessment(0.9, true, [Reason(ids: "t-1")]);
        }), Snapshot());

        Assert.IsType<NotSupportedException>(tried);
        Assert.Equal(["tickets.open"], outcome.Seen.Fields.Keys);
        Assert.Equal(["t-1", "t-2"], outcome.Seen.Fields["tickets.open"].EventIds);
    }

    [Fact]
    public void Assess_ARulesAgentEchoingALongDocument_CutsTheReasonsValue()
    {
        var manifest = new AgentManifest
        {
            Id = "long-doc", Version = "1.0.0", Kind = RulesKind.KindName, Scenario = "test", Subscribes = ["document"],
            Reads = ["documents.text"], Purpose = "test", Threshold = 0.5,
            Rules = new RuleSet { Conditions = [new RuleCondition { Name = "long", When = "len(documents.text) > 100", Weight = 1, Explain = "a long document" }] },
        };
        var agent = new RulesKind().Create(manifest);
        var document = new string('d', 140_000);
        var snapshot = new CustomerSnapshot("c-1", Now, new Dictionary<string, SnapshotField> { ["documents.text"] = SnapshotField.Of("documents.text", document, "doc-1") });

        var outcome = AssessmentPipeline.Assess(agent, snapshot);

        var value = Assert.IsType<string>(outcome.Assessment!.Reasons[0].Value);
        Assert.Equal(AnswerCheck.MaxValueText, value.Length);
        Assert.StartsWith(document[..100], value, StringComparison.Ordinal);
        Assert.EndsWith("…", value, StringComparison.Ordinal);
        Assert.Equal(["doc-1"], outcome.Assessment.Reasons[0].EventIds);
    }
}
