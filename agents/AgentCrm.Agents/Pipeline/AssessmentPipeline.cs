using System.Diagnostics;
using AgentCrm.Agents.Consent;

namespace AgentCrm.Agents.Pipeline;

/// <summary>What one agent made of one snapshot: the assessment, or the failure, and how long it took.</summary>
public sealed record AssessOutcome(Assessment? Assessment, Exception? Error, TimeSpan Elapsed, CustomerSnapshot Seen, bool TimedOut = false)
{
    public bool Failed => Error is not null || TimedOut;

    /// <summary>Required fields the customer's consent withholds; when any, the agent was not run.</summary>
    public IReadOnlyList<string> Withheld { get; init; } = [];

    public bool Blocked => Withheld.Count > 0;

    public static AssessOutcome BlockedBy(ConsentDecision decision, CustomerSnapshot snapshot) =>
        new(null, null, TimeSpan.Zero, snapshot.Only([]), false) { Withheld = decision.Withheld };
}

/// <summary>
/// The one path from a customer snapshot to an assessment, shared by the customer actor (live) and the
/// sandbox (replay), so a sandbox score predicts production: reduce the snapshot to the fields the
/// manifest reads, call <see cref="IAgent.Assess"/>, and contain whatever the agent does wrong (an exception, or an
/// answer <see cref="AnswerCheck"/> refuses, is the outcome's error).
/// </summary>
public static class AssessmentPipeline
{
    /// <summary>
    /// The consent gate, then the agent: a customer who withholds a field the agent requires is not
    /// assessed at all (the agent never sees the value); otherwise the agent sees only allowed fields.
    /// </summary>
    public static AssessOutcome Assess(IAgent agent, CustomerSnapshot snapshot, ConsentPolicy consent, DateTimeOffset at, TimeSpan? timeout = null)
    {
        var decision = consent.Decide(agent.Manifest, at);
        if (decision.Blocked)
            return AssessOutcome.BlockedBy(decision, snapshot);
        var allowed = snapshot.Only(decision.Allowed);
        // The allowed fields are already the agent's reads (those the consent lets through, in the same order): inline, the
        // agent runs on them as they are, not on a second copy reduced to its reads again.
        return timeout is { } t ? Assess(agent, allowed, t) : Run(agent, allowed);
    }

    /// <summary>Runs the agent inline; an exception is returned as the outcome's error, never thrown.</summary>
    public static AssessOutcome Assess(IAgent agent, CustomerSnapshot snapshot) =>
        Run(agent, snapshot.Only(agent.Manifest.Reads.Concat(agent.Manifest.OptionalReads)));

    /// <summary>Runs the agent inline on <paramref name="seen"/>, a snapshot holding only fields the agent reads.</summary>
    private static AssessOutcome Run(IAgent agent, CustomerSnapshot seen)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            // The agent gets a read-only copy; the outcome keeps the runtime's (what the brief records as read): a field
            // an agent added to its dictionary showed up in the brief's inputs as if the agent had been given it.
            var assessment = AnswerCheck.Checked(agent.Manifest, agent.Assess(ReadOnlyCopy(seen)), seen);
            return new AssessOutcome(assessment, null, Stopwatch.GetElapsedTime(started), seen);
        }
        catch (Exception ex)
        {
            return new AssessOutcome(null, ex, Stopwatch.GetElapsedTime(started), seen);
        }
    }

    /// <summary>The snapshot as an agent gets it: its own dictionary, read-only, and the fields' event ids copied (nothing it changes reaches the runtime's).</summary>
    private static CustomerSnapshot ReadOnlyCopy(CustomerSnapshot seen)
    {
        var fields = new Dictionary<string, SnapshotField>(seen.Fields.Count, StringComparer.Ordinal);
        foreach (var (name, field) in seen.Fields)
            // A field citing no event is given as it is when its list is an empty array (`[]`), which nothing can add to; most
            // fields of a snapshot cite none. Any other empty list (a List an embedder built) is copied like the rest.
            fields[name] = field.EventIds is string[] { Length: 0 } ? field : field with { EventIds = Array.AsReadOnly((field.EventIds ?? []).ToArray()) };
        return new CustomerSnapshot(seen.CustomerId, seen.AsOf, new System.Collections.ObjectModel.ReadOnlyDictionary<string, SnapshotField>(fields));
    }

    /// <summary>
    /// Runs the agent on the thread pool and stops waiting after <paramref name="timeout"/>: the outcome is
    /// then a time-out (the call itself cannot be aborted; it finishes in the background).
    /// </summary>
    public static AssessOutcome Assess(IAgent agent, CustomerSnapshot snapshot, TimeSpan timeout)
    {
        var task = Task.Run(() => Assess(agent, snapshot));
        if (task.Wait(timeout))
            return task.Result;
        return new AssessOutcome(null, new TimeoutException($"{agent.Manifest.Id}@{agent.Manifest.Version} did not answer within {timeout.TotalMilliseconds:0} ms."), timeout, snapshot.Only(agent.Manifest.Reads.Concat(agent.Manifest.OptionalReads)), TimedOut: true);
    }
}
