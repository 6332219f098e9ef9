using System.Diagnostics;
using AgentCrm.Agents;
using AgentCrm.Agents.Consent;
using AgentCrm.Agents.Pipeline;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Replay;

public sealed record ReplayOptions
{
    public const int DefaultTimeoutMs = 1000;

    /// <summary>Calls past their limit a replay lets hang at once (each on its thread) before it stops calling an agent that hangs.</summary>
    public const int MaxAbandonedCalls = 64;

    /// <summary>
    /// Longest one Assess call may run, clocked from when the call starts on its worker's thread (waiting for
    /// a thread is not counted); a call past it is tried once more before the case counts as an error.
    /// </summary>
    public TimeSpan PerCaseTimeout { get; init; } = TimeSpan.FromMilliseconds(DefaultTimeoutMs);

    /// <summary>Workers replaying in parallel (default: one per core).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// The consent in force per customer id, as live: a case whose customer withholds a field the agent
    /// requires is not assessed (it counts as not fired, and as blocked). Null: no consent gate.
    /// </summary>
    public Func<string, ConsentPolicy>? Consent { get; init; }

    /// <summary>The moment grant expiry is judged at (default: when the replay starts).</summary>
    public DateTimeOffset? ConsentAt { get; init; }

    /// <summary>Told the number of cases done so far, now and then.</summary>
    public IProgress<int>? Progress { get; init; }
}

/// <summary>
/// Replays labeled cases through <see cref="AssessmentPipeline"/>, the same snapshot → Assess path the
/// customer actors run: a tabular case once on its snapshot, a timeline case on each turn a live actor would have
/// run the agent in (<see cref="TimelineTurns"/>), fired if any fired. Deterministic: results come back in case order
/// whatever the parallelism, the snapshot times are the case's own, and the outcome does not depend on how busy the machine is. Each worker
/// runs the agent on a thread of its own (never the shared pool) and calls it once untimed before its first
/// case (the JIT's first compile is not the agent's time); the per-case limit clocks only the call itself,
/// from the moment it starts running; a call past the limit is tried once more (on a fresh thread) before
/// the case counts as an error. An agent that throws or hangs makes that case an error in the report, with
/// why, never a crash or a stall of the replay: a hanging call is left behind on its thread.
/// </summary>
public static class ReplayEngine
{
    public static IReadOnlyList<ScoredCase> Replay(IAgent agent, IReadOnlyList<Case> cases, ReplayOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ReplayOptions();
        var results = new ScoredCase[cases.Count];
        var next = -1;
        var done = 0;
        var consentAt = options.ConsentAt ?? DateTimeOffset.UtcNow;
        var timeout = options.PerCaseTimeout;

        // At most this many calls left behind past their limit may be hanging at once (two per timed-out case; each ends its
        // thread when it returns); past it, an agent that hangs is not called again and the remaining cases count as errors,
        // so a replay of an agent that never returns leaves a bounded number of stuck threads.
        var abandonLimit = ReplayOptions.MaxAbandonedCalls;
        var abandoned = 0;

        // The consent in force is looked up on the worker (a store read is not the agent's time, and its failure fails the
        // replay as before); the call thread runs only the pipeline: consent decision, field filter, Assess.
        AssessOutcome Run(CustomerSnapshot snapshot, ConsentPolicy? consent) => consent is not null
            ? AssessmentPipeline.Assess(agent, snapshot, consent, consentAt)
            : AssessmentPipeline.Assess(agent, snapshot);

        // A tabular case is one call on its snapshot; a timeline case one call per live turn (TimelineTurns), folded on the
        // worker (not the agent's time) and judged together: fired if any turn fired, scored by its highest score.
        Func<AssessOutcome> Call(Case c, IReadOnlyList<CustomerSnapshot>? turns, ConsentPolicy? consent) => turns is null
            ? () => Run(c.Snapshot, consent)
            : () => Turns(c, turns, consent);

        AssessOutcome Turns(Case c, IReadOnlyList<CustomerSnapshot> turns, ConsentPolicy? consent)
        {
            AssessOutcome? highest = null;
            var fired = false;
            var slowest = TimeSpan.Zero;
            foreach (var snapshot in turns)
            {
                var outcome = Run(snapshot, consent);
                // Blocked by consent, failed, or a score no metric can take: the case is that, as a tabular case would be.
                if (outcome.Blocked || outcome.Assessment is not { } a || !double.IsFinite(a.Score))
                    return outcome;
                fired |= a.Fired;
                if (outcome.Elapsed > slowest)
                    slowest = outcome.Elapsed;
                if (highest is null || a.Score > highest.Assessment!.Score)
                    highest = outcome;
            }
            // No turn (no event of a type the agent subscribes to by the cutoff): live never judged the customer, so it never fired.
            // The latency is the slowest call's, as the limit is per call.
            return highest is null
                ? new AssessOutcome(Assessment.None, null, TimeSpan.Zero, c.Snapshot.Only([]))
                : highest with { Assessment = highest.Assessment! with { Fired = fired }, Elapsed = slowest };
        }

        CallRunner Abandon(CallRunner runner)
        {
            Interlocked.Increment(ref abandoned);
            return runner.Abandon(() => Interlocked.Decrement(ref abandoned));
        }

        var workers = Enumerable.Range(0, Math.Max(1, Math.Min(options.Parallelism, cases.Count))).Select(_ => Task.Factory.StartNew(() =>
        {
            var runner = new CallRunner();
            var warm = false;
            try
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < cases.Count)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var c = cases[i];
                    if (Volatile.Read(ref abandoned) >= abandonLimit)
                    {
                        results[i] = new ScoredCase(c.Id, c.Label, 0, false, c.Segment, 0, true)
                        {
                            ErrorReason = $"not run: {abandonLimit} calls of the agent past {timeout.TotalMilliseconds:0} ms have not returned",
                        };
                        Report();
                        continue;
                    }

                    var consent = options.Consent?.Invoke(c.Snapshot.CustomerId);
                    var turns = c.Timeline is { } timeline ? TimelineTurns.For(agent.Manifest, timeline) : null;
                    var call = Call(c, turns, consent);
                    // The limit is per Assess call: a case of n turns has n times it.
                    var limit = turns is { Count: > 1 } ? timeout * turns.Count : timeout;
                    if (!warm)
                    {
                        // Untimed, result discarded: agents are functions of the snapshot, so a second call on the same case is harmless.
                        // Bounded like a case (twice over) so an agent that hangs does not stall the worker here either.
                        warm = true;
                        if (runner.Call(call, limit + limit, cancellationToken) is null)
                            runner = Abandon(runner);
                    }

                    var outcome = runner.Call(call, limit, cancellationToken);
                    if (outcome is null)
                    {
                        // Past the limit: once more on a fresh thread (the first may be stuck) before it counts.
                        runner = Abandon(runner);
                        outcome = runner.Call(call, limit, cancellationToken);
                        if (outcome is null)
                            runner = Abandon(runner);
                    }

                    results[i] = outcome is null
                        ? new ScoredCase(c.Id, c.Label, 0, false, c.Segment, timeout.TotalMilliseconds, true)
                        {
                            ErrorReason = limit == timeout
                                ? $"timed out: the agent did not answer within {timeout.TotalMilliseconds:0} ms (tried twice)"
                                : $"timed out: the agent did not answer the case's {turns!.Count} turns within {limit.TotalMilliseconds:0} ms ({timeout.TotalMilliseconds:0} ms each; tried twice)",
                        }
                        : outcome.Blocked
                        ? new ScoredCase(c.Id, c.Label, 0, false, c.Segment, 0, false) { Blocked = true }
                        : outcome.Assessment is { } a
                        ? new ScoredCase(c.Id, c.Label, a.Score, a.Fired, c.Segment, outcome.Elapsed.TotalMilliseconds, false)
                        : new ScoredCase(c.Id, c.Label, 0, false, c.Segment, outcome.Elapsed.TotalMilliseconds, true)
                        {
                            ErrorReason = outcome.Error is { } ex ? $"{ex.GetType().FullName}: {ex.Message}" : "failed",
                        };
                    Report();
                }
            }
            finally
            {
                runner.Dispose();
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        Task.WaitAll(workers, cancellationToken);
        return results;

        void Report()
        {
            var n = Interlocked.Increment(ref done);
            if (n % 100 == 0 || n == cases.Count)
                options.Progress?.Report(n);
        }
    }

    /// <summary>
    /// One dedicated background thread that runs a worker's calls one at a time. The time limit of a call
    /// counts from when the thread starts it, so neither thread-pool starvation nor the wait for this thread
    /// to be scheduled is charged to the agent.
    /// </summary>
    private sealed class CallRunner : IDisposable
    {
        private readonly SemaphoreSlim _work = new(0);
        private readonly ManualResetEventSlim _started = new();
        private readonly ManualResetEventSlim _finished = new();
        private Func<AssessOutcome>? _call;
        private AssessOutcome? _result;
        private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _error;
        private long _startedAt;
        private long _endedAt;
        private volatile bool _stopped;
        private Action? _released;

        public CallRunner()
        {
            new Thread(Loop) { IsBackground = true, Name = "replay-call" }.Start();
        }

        /// <summary>The outcome, or null when the call ran past <paramref name="limit"/> (it is then still running: <see cref="Abandon"/> this runner).</summary>
        public AssessOutcome? Call(Func<AssessOutcome> call, TimeSpan limit, CancellationToken cancellationToken)
        {
            _started.Reset();
            _finished.Reset();
            _call = call;
            _work.Release();
            _started.Wait(cancellationToken);
            while (true)
            {
                var left = limit - Stopwatch.GetElapsedTime(Volatile.Read(ref _startedAt));
                if (left <= TimeSpan.Zero)
                    return _finished.IsSet ? Finished(limit) : null;
                if (_finished.Wait(left, cancellationToken))
                    return Finished(limit);
            }
        }

        /// <summary>
        /// The finished call's outcome, or null when it ran past the limit: judged by the call's own start and end on its
        /// thread, not by when this worker woke up to look (under load that can be long after), so the same call counts the same.
        /// </summary>
        private AssessOutcome? Finished(TimeSpan limit)
        {
            _error?.Throw();
            return Stopwatch.GetElapsedTime(Volatile.Read(ref _startedAt), Volatile.Read(ref _endedAt)) > limit ? null : _result!;
        }

        /// <summary>
        /// Leaves this runner's thread to finish its stuck call on its own (it then ends, telling <paramref name="released"/>)
        /// and returns a fresh runner.
        /// </summary>
        public CallRunner Abandon(Action released)
        {
            _released = released;
            _stopped = true;
            _work.Release();
            return new CallRunner();
        }

        public void Dispose()
        {
            _stopped = true;
            _work.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _work.Wait();
                if (_stopped)
                {
                    _released?.Invoke();
                    return;
                }
                Volatile.Write(ref _startedAt, Stopwatch.GetTimestamp());
                _started.Set();
                // The pipeline returns an agent's exception as its outcome; anything else thrown here is rethrown on the
                // worker (an exception left on this thread would end the process).
                try
                {
                    (_result, _error) = (_call!(), null);
                }
                catch (Exception ex)
                {
                    (_result, _error) = (null, System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex));
                }

                Volatile.Write(ref _endedAt, Stopwatch.GetTimestamp());
                _finished.Set();
            }
        }
    }
}
