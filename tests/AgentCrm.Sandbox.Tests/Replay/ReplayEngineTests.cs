using System.Diagnostics;
using AgentCrm.Agents;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Metrics;
using AgentCrm.Sandbox.Replay;
using AgentCrm.Sandbox.Reports;

namespace AgentCrm.Sandbox.Tests.Replay;

/// <summary>Alone: one test starves the thread pool for a moment, which must not slow other tests down.</summary>
[CollectionDefinition(nameof(ReplayEngineTests), DisableParallelization = true)]
public sealed class ReplayEngineCollection;

[Collection(nameof(ReplayEngineTests))]
public sealed class ReplayEngineTests
{
    private static readonly AgentManifest Manifest = new() { Id = "replay-test", Version = "1.0.0", Kind = "test", Reads = ["tenure.months"] };

    /// <summary>Scores from the snapshot alone; the case ids pick how it misbehaves (a plugin could do the same).</summary>
    private sealed class TestAgent(Func<string, bool>? hangs = null, int firstCallMs = 0) : IAgent
    {
        private int _calls;

        public ManualResetEventSlim Release { get; } = new();

        /// <summary>Calls of Assess so far (warm-up calls included).</summary>
        public int Calls => Volatile.Read(ref _calls);

        public AgentManifest Manifest => ReplayEngineTests.Manifest;

        public Assessment Assess(CustomerSnapshot snapshot)
        {
            if (Interlocked.Increment(ref _calls) == 1 && firstCallMs > 0)
                Thread.Sleep(firstCallMs);
            var id = snapshot.CustomerId;
            if (id.StartsWith("throw", StringComparison.Ordinal))
                throw new InvalidOperationException($"no score for {id}");
            if (hangs?.Invoke(id) == true)
                Release.Wait();
            var tenure = snapshot.Number("tenure.months") ?? 0;
            var score = (tenure * 37 % 100) / 100.0;
            return new Assessment(score, score >= 0.5, []);
        }
    }

    private static List<Case> Cases(int count, Func<int, string>? id = null) =>
        [.. Enumerable.Range(0, count).Select(i =>
        {
            var caseId = id?.Invoke(i) ?? $"c{i}";
            var fields = new Dictionary<string, SnapshotField> { ["tenure.months"] = SnapshotField.Of("tenure.months", i % 97) };
            return new Case(caseId, new CustomerSnapshot(caseId, DateTimeOffset.UnixEpoch, fields), i % 3 == 0, null);
        })];

    private static SandboxReport Report(IReadOnlyList<ScoredCase> scored) =>
        SandboxReport.Build(scored, "replay-test", "1.0.0", "sha256:x", "set", "sha256:y", 0.5, DateTimeOffset.UnixEpoch);

    private static object Outcome(SandboxReport r) => (r.Cases, r.Errors, r.Confusion, r.RocAuc, r.PrAuc, r.Brier, string.Join(";", r.ErroredCases));

    [Fact]
    public void Replay_UnderThreadPoolStarvation_ScoresLikeAnIdleReplay()
    {
        var cases = Cases(3_000);
        var options = new ReplayOptions { PerCaseTimeout = TimeSpan.FromMilliseconds(200), Parallelism = 2 };
        var idle = Report(ReplayEngine.Replay(new TestAgent(), cases, options));
        Assert.Equal(0, idle.Errors);

        // Every pool thread, and each one the pool adds while the replay runs, is taken by a blocked work item:
        // a call that needed the pool would wait far past the 200 ms limit.
        // Not disposed: blocker items still queued when the replay ends start after Set and must find it set, not disposed
        // (a disposed event threw on a pool thread and crashed the test host in CI).
        var blocked = new ManualResetEventSlim();
        var blockers = 0;
        for (var i = 0; i < 200; i++)
            ThreadPool.UnsafeQueueUserWorkItem(_ => { Interlocked.Increment(ref blockers); blocked.Wait(); }, null);
        IReadOnlyList<ScoredCase> loaded;
        try
        {
            var until = Stopwatch.StartNew();
            while (Volatile.Read(ref blockers) < Environment.ProcessorCount && until.Elapsed < TimeSpan.FromSeconds(5))
                Thread.Sleep(10);
            loaded = ReplayEngine.Replay(new TestAgent(), cases, options);
        }
        finally
        {
            blocked.Set();
        }

        Assert.Equal(Outcome(idle), Outcome(Report(loaded)));
    }

    [Fact]
    public void Replay_SlowFirstCall_IsAWarmUp_NotAnError()
    {
        // The first call of the agent (the JIT compiling it, a cache filling) takes longer than the limit.
        var scored = ReplayEngine.Replay(new TestAgent(firstCallMs: 300), Cases(50), new ReplayOptions { PerCaseTimeout = TimeSpan.FromMilliseconds(200), Parallelism = 2 });

        Assert.DoesNotContain(scored, c => c.IsError);
        Assert.Equal(Outcome(Report(ReplayEngine.Replay(new TestAgent(), Cases(50)))), Outcome(Report(scored)));
    }

    [Fact]
    public void Replay_HangingAndThrowingCases_AreErrorsWithWhy_TheReplayStaysBounded()
    {
        var agent = new TestAgent(hangs: id => id.StartsWith("hang", StringComparison.Ordinal));
        var cases = Cases(40, i => i % 10 == 3 ? $"hang{i}" : i % 10 == 7 ? $"throw{i}" : $"c{i}");
        var clock = Stopwatch.StartNew();
        IReadOnlyList<ScoredCase> scored;
        try
        {
            scored = ReplayEngine.Replay(agent, cases, new ReplayOptions { PerCaseTimeout = TimeSpan.FromMilliseconds(100), Parallelism = 2 });
        }
        finally
        {
            agent.Release.Set();
        }

        // 4 hanging cases, each tried twice at 100 ms on 2 workers: about 0.4 s. An unbounded wait never returns (the agent is
        // released only after the replay), so any bound tells the two apart: 30 s, for a shared CI machine that stalls.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Equal(cases.Select(c => c.Id), scored.Select(c => c.CaseId));
        Assert.All(scored.Where(c => c.CaseId.StartsWith("hang", StringComparison.Ordinal)), c =>
        {
            Assert.True(c.IsError);
            Assert.Equal("timed out: the agent did not answer within 100 ms (tried twice)", c.ErrorReason);
        });
        Assert.All(scored.Where(c => c.CaseId.StartsWith("throw", StringComparison.Ordinal)), c =>
        {
            Assert.True(c.IsError);
            Assert.Equal($"System.InvalidOperationException: no score for {c.CaseId}", c.ErrorReason);
        });
        Assert.Equal(32, scored.Count(c => !c.IsError));

        var report = Report(scored);
        Assert.Equal(8, report.Errors);
        Assert.Equal(["hang3", "throw7", "hang13", "throw17", "hang23", "throw27", "hang33", "throw37"], report.ErroredCases.Select(e => e.CaseId));
        Assert.Contains("hang3: timed out", ReportText.Render(report), StringComparison.Ordinal);
        Assert.Contains("<td>throw7</td>", HtmlReport.Render(report), StringComparison.Ordinal);
    }
    /// <summary>An agent whose manifest cannot be read: the pipeline reads it outside the agent's own try.</summary>
    private sealed class BrokenManifestAgent : IAgent
    {
        private int _reads;

        public AgentManifest Manifest => Interlocked.Increment(ref _reads) > 0 ? throw new InvalidOperationException("manifest unavailable") : ReplayEngineTests.Manifest;

        public Assessment Assess(CustomerSnapshot snapshot) => new(0, false, []);
    }

    [Fact]
    public void Replay_AFailureOutsideTheAgentsCall_FailsTheReplay_NotTheProcess()
    {
        // Thrown on a call thread of the replay's own, it would have ended the test process (and the server) outright.
        var failure = Assert.ThrowsAny<Exception>(() => ReplayEngine.Replay(new BrokenManifestAgent(), Cases(10), new ReplayOptions { Parallelism = 2 }));
        Assert.Contains("manifest unavailable", failure is AggregateException all ? string.Join(" ", all.Flatten().InnerExceptions.Select(e => e.Message)) : failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_AnAgentThatNeverReturns_StopsBeingCalledOnceTheLimitOfHangingCallsIsReached_AndEndsPromptly()
    {
        var agent = new TestAgent(hangs: _ => true);
        var cases = Cases(500);
        var clock = Stopwatch.StartNew();
        var threadsBefore = Process.GetCurrentProcess().Threads.Count;
        IReadOnlyList<ScoredCase> scored;
        int threadsAfter;
        try
        {
            scored = ReplayEngine.Replay(agent, cases, new ReplayOptions { PerCaseTimeout = TimeSpan.FromMilliseconds(20), Parallelism = 2 });
            threadsAfter = Process.GetCurrentProcess().Threads.Count;
        }
        finally
        {
            agent.Release.Set();
        }

        // Without the limit: 500 cases x 2 tries x 20 ms on 2 workers (10 s), a thousand calls and a thousand threads left
        // hanging. (An agent whose calls return late, however late, is called for every case: its calls end their threads.)
        // The calls made tell the two apart whatever the machine's speed: every call hangs and is left behind, and a worker that
        // saw fewer than the limit left behind makes at most its case's two tries. The time is bounded generously (a shared CI
        // machine stalls): at the limit the replay ends in well under a second.
        Assert.True(agent.Calls <= ReplayOptions.MaxAbandonedCalls + (2 * 2), $"{agent.Calls} calls of an agent that never returns");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.True(threadsAfter - threadsBefore <= ReplayOptions.MaxAbandonedCalls + 8, $"{threadsAfter - threadsBefore} threads more");
        Assert.All(scored, c => Assert.True(c.IsError));
        Assert.Contains(scored, c => c.ErrorReason!.StartsWith("timed out", StringComparison.Ordinal));
        Assert.Contains(scored, c => c.ErrorReason!.StartsWith($"not run: {ReplayOptions.MaxAbandonedCalls} calls of the agent past 20 ms have not returned", StringComparison.Ordinal));
    }
    private sealed class LateAgent(int sleepMs) : IAgent
    {
        public AgentManifest Manifest => ReplayEngineTests.Manifest;

        public Assessment Assess(CustomerSnapshot snapshot)
        {
            Thread.Sleep(sleepMs);
            return new Assessment(0.9, true, []);
        }
    }

    [Fact]
    public void Replay_AnAgentWhoseCallsReturnLate_IsCalledForEveryCase_EachATimeOut()
    {
        // Its calls end their threads, so the limit of hanging calls is never reached: every case is tried, none skipped.
        var scored = ReplayEngine.Replay(new LateAgent(60), Cases(100), new ReplayOptions { PerCaseTimeout = TimeSpan.FromMilliseconds(20), Parallelism = 2 });
        Assert.All(scored, c => Assert.Equal("timed out: the agent did not answer within 20 ms (tried twice)", c.ErrorReason));
    }
}
