using AgentCrm.Agents;
using AgentCrm.Agents.Consent;
using AgentCrm.Agents.Pipeline;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Replay;

public sealed record ReplayOptions
{
    public const int DefaultTimeoutMs = 1000;

    /// <summary>Longest one Assess call may take before the case counts as an error.</summary>
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
/// customer actors run. Deterministic: results come back in case order whatever the parallelism, and the
/// snapshot time is the case's own. An agent that throws or runs out of time on a case makes that case an
/// error in the report, never a crash of the replay.
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
        var workers = Enumerable.Range(0, Math.Max(1, Math.Min(options.Parallelism, cases.Count))).Select(_ => Task.Factory.StartNew(() =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < cases.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var c = cases[i];
                var outcome = options.Consent is { } consent
                    ? AssessmentPipeline.Assess(agent, c.Snapshot, consent(c.Snapshot.CustomerId), consentAt, options.PerCaseTimeout)
                    : AssessmentPipeline.Assess(agent, c.Snapshot, options.PerCaseTimeout);
                results[i] = outcome.Blocked
                    ? new ScoredCase(c.Id, c.Label, 0, false, c.Segment, 0, false) { Blocked = true }
                    : outcome.Assessment is { } a
                    ? new ScoredCase(c.Id, c.Label, a.Score, a.Fired, c.Segment, outcome.Elapsed.TotalMilliseconds, false)
                    : new ScoredCase(c.Id, c.Label, 0, false, c.Segment, outcome.Elapsed.TotalMilliseconds, true);
                var n = Interlocked.Increment(ref done);
                if (n % 100 == 0 || n == cases.Count)
                    options.Progress?.Report(n);
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        Task.WaitAll(workers, cancellationToken);
        return results;
    }
}
