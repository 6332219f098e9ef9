using AgentCrm.Agents;
using AgentCrm.Agents.Pipeline;
using AgentCrm.Agents.Plugins;
using AgentCrm.Agents.RenewalRisk;

namespace AgentCrm.Runtime.Tests.Plugins;

/// <summary>The plugin call path copies what a plugin answers; nothing the actor reads may be lost on the way.</summary>
public sealed class TimeLimitedAgentTests
{
    private sealed class Fixed(Assessment answer) : IAgent
    {
        public AgentManifest Manifest { get; } = new RenewalRiskKind().BuiltIn!;

        public Assessment Assess(CustomerSnapshot snapshot) => answer;
    }

    [Fact]
    public void ThePluginsHeadlineAndFinding_ReachTheActor_SoItsCooldownIsPerFinding()
    {
        var inner = new Fixed(new Assessment(0.9, true, [], "call them") { Headline = "h", FindingKey = "notice-42", Findings = [new Finding("notice-42", 0.9) { CooldownDays = 31 }, new Finding("web-burst", 0.7)] });
        var agent = new TimeLimitedAgent(inner, inner.Manifest, TimeSpan.FromSeconds(5), 4);

        var a = agent.Assess(new CustomerSnapshot("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>()));

        Assert.Equal(("h", "notice-42", "call them"), (a.Headline, a.FindingKey, a.NextStep));
        Assert.Equal([new Finding("notice-42", 0.9) { CooldownDays = 31 }, new Finding("web-burst", 0.7)], a.Findings);
    }

    [Theory]
    [InlineData(1e9)]
    [InlineData(-0.5)]
    [InlineData(1.0000001)]
    [InlineData(double.NaN)]
    public void AScoreOutsideZeroToOne_IsThePluginsFailure_NotABrief(double score)
    {
        var inner = new Fixed(new Assessment(score, true, []));
        var agent = new TimeLimitedAgent(inner, inner.Manifest, TimeSpan.FromSeconds(5), 4);

        var error = Assert.Throws<PluginFailedException>(() => agent.Assess(new CustomerSnapshot("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>())));

        Assert.Contains("returned the score", error.Message, StringComparison.Ordinal);
    }

    private static Reason Reason(string field = "f", object? value = null, double weight = 0.5, int eventIds = 1, string explanation = "why") =>
        new(field, value, weight, Enumerable.Range(0, eventIds).Select(i => $"e-{i}").ToList(), explanation);

    public static TheoryData<string, Assessment, string> Oversized() => new()
    {
        { "reasons", new Assessment(0.9, true, Enumerable.Range(0, TimeLimitedAgent.MaxReasons + 1).Select(_ => Reason()).ToList()), "101 reasons" },
        { "next step", new Assessment(0.9, true, [], new string('x', TimeLimitedAgent.MaxText + 1)), "a nextStep of 4001 characters" },
        { "headline", new Assessment(0.9, true, []) { Headline = new string('x', 5_000_000) }, "a headline of 5000000 characters" },
        { "finding key", new Assessment(0.9, true, []) { FindingKey = new string('k', TimeLimitedAgent.MaxText + 1) }, "a findingKey of" },
        { "reason explanation", new Assessment(0.9, true, [Reason(explanation: new string('e', TimeLimitedAgent.MaxText + 1))]), "a reason explanation of" },
        { "event ids", new Assessment(0.9, true, [Reason(eventIds: TimeLimitedAgent.MaxEventIds + 1)]), "citing 101 events" },
        { "NaN weight", new Assessment(0.9, true, [Reason(weight: double.NaN)]), "a reason weight of NaN" },
        { "infinite value", new Assessment(0.9, true, [Reason(value: double.PositiveInfinity)]), "a reason value of" },
    };

    [Theory]
    [MemberData(nameof(Oversized))]
    public void AnAnswerPastItsSizes_IsThePluginsFailure_NotAHugeBrief(string name, Assessment answer, string says)
    {
        var inner = new Fixed(answer);
        var agent = new TimeLimitedAgent(inner, inner.Manifest, TimeSpan.FromSeconds(5), 4);

        var error = Assert.Throws<PluginFailedException>(() => agent.Assess(new CustomerSnapshot("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>())));

        Assert.True(error.Message.Contains(says, StringComparison.Ordinal), $"{name}: {error.Message}");
    }

    private sealed class Throwing : IAgent
    {
        public AgentManifest Manifest { get; } = new RenewalRiskKind().BuiltIn!;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public Assessment Assess(CustomerSnapshot snapshot) => throw new InvalidOperationException("the plugin's own failure");
    }

    [Fact]
    public void APluginsException_IsKeptAsTheInnerException_WithThePluginsFrames()
    {
        var inner = new Throwing();
        var agent = new TimeLimitedAgent(inner, inner.Manifest, TimeSpan.FromSeconds(5), 4);

        var error = Assert.Throws<PluginFailedException>(() => agent.Assess(new CustomerSnapshot("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>())));

        Assert.Equal("System.InvalidOperationException: the plugin's own failure", error.Message);
        var thrown = Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Contains($"{nameof(Throwing)}.{nameof(Throwing.Assess)}", thrown.StackTrace, StringComparison.Ordinal);
        Assert.Contains($"{nameof(Throwing)}.{nameof(Throwing.Assess)}", error.ToString(), StringComparison.Ordinal);
    }

    private sealed class SlowText
    {
        public override string ToString()
        {
            Thread.Sleep(2_000);
            return "slow";
        }
    }

    [Fact]
    public void ReadingTheAnswer_RunsWithinTheCallsTime_NotOnTheCallersThread()
    {
        var inner = new Fixed(new Assessment(0.9, true, [Reason(value: new SlowText())]));
        var agent = new TimeLimitedAgent(inner, inner.Manifest, TimeSpan.FromMilliseconds(200), 4);

        var error = Assert.Throws<TimeoutException>(() => agent.Assess(new CustomerSnapshot("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>())));

        Assert.Contains("did not answer within 200 ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AReasonValueEchoingALongField_IsCut_NotRefused()
    {
        var document = new string('d', 200_000);
        var inner = new Fixed(new Assessment(0.9, true, [Reason("documents.text", document)]));
        var agent = new TimeLimitedAgent(inner, inner.Manifest, TimeSpan.FromSeconds(5), 4);

        // Cut by the pipeline, as every kind's answer is.
        var value = (string)AssessmentPipeline.Assess(agent, new CustomerSnapshot("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>())).Assessment!.Reasons[0].Value!;

        Assert.Equal(TimeLimitedAgent.MaxText, value.Length);
        Assert.StartsWith(document[..100], value, StringComparison.Ordinal);
        Assert.EndsWith("…", value, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAnswerAtItsSizes_IsCopiedWhole()
    {
        var reasons = Enumerable.Range(0, TimeLimitedAgent.MaxReasons)
            .Select(i => Reason($"f{i}", new string('v', TimeLimitedAgent.MaxText), eventIds: TimeLimitedAgent.MaxEventIds)).ToList();
        var inner = new Fixed(new Assessment(0.9, true, reasons, new string('n', TimeLimitedAgent.MaxText)) { Headline = new string('h', TimeLimitedAgent.MaxText) });
        var agent = new TimeLimitedAgent(inner, inner.Manifest, TimeSpan.FromSeconds(5), 4);

        var a = agent.Assess(new CustomerSnapshot("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>()));

        Assert.Equal(TimeLimitedAgent.MaxReasons, a.Reasons.Count);
        Assert.Equal(TimeLimitedAgent.MaxText, ((string)a.Reasons[^1].Value!).Length);
        Assert.Equal(TimeLimitedAgent.MaxEventIds, a.Reasons[0].EventIds.Count);
        Assert.Equal(TimeLimitedAgent.MaxText, a.Headline.Length);
    }

    /// <summary>A plugin whose calls block until the gate opens, counting those that started.</summary>
    private sealed class Blocking(ManualResetEventSlim gate) : IAgent
    {
        private int _started;

        public int Started => Volatile.Read(ref _started);

        public AgentManifest Manifest { get; } = new RenewalRiskKind().BuiltIn!;

        public Assessment Assess(CustomerSnapshot snapshot)
        {
            Interlocked.Increment(ref _started);
            gate.Wait(TimeSpan.FromSeconds(60));
            return new Assessment(0, false, []);
        }
    }

    [Fact]
    public async Task CallersComingTogether_ToAVersionThatHangs_TieUpAtMostMaxHungThreads()
    {
        using var gate = new ManualResetEventSlim(false);
        var inner = new Blocking(gate);
        var agent = new TimeLimitedAgent(inner, inner.Manifest, TimeSpan.FromSeconds(1), 2);

        // Six callers at once, as a sandbox job's workers and live turns call one version: none of its calls has run past
        // its limit yet when the others come. Before, each saw no hung call and started one: six threads held (qa30d saw a
        // spinning plugin burn six cores' worth for Plugins:MaxHungCalls=4, for good).
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Factory.StartNew(() =>
        {
            try
            {
                agent.Assess(new CustomerSnapshot("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, SnapshotField>()));
                return "answered";
            }
            catch (Exception ex)
            {
                return ex.GetType().Name;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        var started = inner.Started;
        var hung = agent.HungCalls;
        gate.Set();

        Assert.InRange(started, 1, 2);
        Assert.Equal(started, hung);
        Assert.DoesNotContain("answered", outcomes);
    }
}
