using AgentCrm.Agents;
using AgentCrm.Agents.Customers;
using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox.Replay;

/// <summary>
/// The snapshots a live agent would have judged a timeline case's customer on, up to the cutoff, with the event times as
/// the clock. As in <c>CustomerActor</c>: each event is folded in time order, and an agent subscribed to its type judges
/// the customer as of the latest event applied (that event's time); a contract event sets the next renewal re-score
/// (<see cref="RenewalRescore"/>, 90, 60 and 30 days before the contract's end), at which an agent subscribed to
/// <c>contract</c> judges the customer as of the re-score's time, and each re-score sets the next. Re-scores due after
/// the cutoff are not replayed; one due at an event's instant is taken before that event.
/// </summary>
internal static class TimelineTurns
{
    public static List<CustomerSnapshot> For(AgentManifest manifest, CaseTimeline timeline)
    {
        var subscribes = manifest.Subscribes;
        var rescores = subscribes.Contains("contract", StringComparer.Ordinal);
        // Only the fields the agent reads are derived (live derives the fields of every agent on the event type: the same values).
        var plan = SnapshotPlan.For(manifest.Reads.Concat(manifest.OptionalReads).Distinct(StringComparer.Ordinal).ToList());
        var turns = new List<CustomerSnapshot>();
        var state = new CustomerState { CustomerId = timeline.Events.Count > 0 ? timeline.Events[0].CustomerId : "" };
        DateTimeOffset? rescore = null;

        void RescoresUpTo(DateTimeOffset until)
        {
            while (rescore is { } due && due <= until)
            {
                if (rescores)
                    turns.Add(SnapshotBuilder.Build(state, due, plan));
                // The reminder is one-shot: the turn it runs in sets the next, when the contract states an end.
                rescore = state.Contract?.End is { } end ? RenewalRescore.NextDue(end, due) : null;
            }
        }

        foreach (var e in timeline.Events)
        {
            RescoresUpTo(e.OccurredAt);
            if (!CustomerTimeline.Apply(state, e))
                continue;
            if (subscribes.Contains(e.Type, StringComparer.Ordinal))
                turns.Add(SnapshotBuilder.Build(state, state.LastEventAt ?? e.OccurredAt, plan));
            // A contract event without an end keeps the re-score already set (CustomerActor.ScheduleRescoreAsync).
            if (e.Type == "contract" && state.Contract?.End is { } end)
                rescore = RenewalRescore.NextDue(end, e.OccurredAt);
        }
        RescoresUpTo(timeline.Cutoff);
        return turns;
    }
}
