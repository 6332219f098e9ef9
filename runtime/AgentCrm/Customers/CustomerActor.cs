using System.Text.Json;
using AgentCrm.Actors;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;
using AgentCrm.Audit;
using AgentCrm.Agents.Pipeline;
using AgentCrm.Briefs;
using AgentCrm.Storage;

namespace AgentCrm.Customers;

/// <summary>
/// A delivery of one stored event to its customer's actor: with its embedded inbox sequence, or (pub/sub) with the
/// source that numbered it and its number among the customer's events there, when known. <see cref="Replay"/>: delivered
/// again after its turn failed, possibly after later events of the customer.
/// </summary>
public sealed record ApplyEvent(long Seq, CrmEvent Event, DateTimeOffset ReceivedAt, CustomerTimeline.Delivery? Delivery = null, bool Replay = false);

/// <summary>One or more of a customer's events, in inbox order: one turn, one state save (applied in occurredAt order).</summary>
public sealed record ApplyEvents(IReadOnlyList<ApplyEvent> Events);

/// <summary>A turn's counts: events applied, agent runs, and briefs composed (enlisted with the turn's state; one a repeated turn composes again is not stored twice).</summary>
public sealed record ApplyOutcome(int Applied, int Assessed, int Briefs);

/// <summary>
/// One activation per customer. Keeps the customer's derived state, and on every event runs the
/// subscribed agent versions of the registry's current set over the snapshot, writing a brief when one
/// fires outside its cooldown. Reminders re-score renewal risk 90, 60 and 30 days before contract end.
/// </summary>
public sealed partial class CustomerActor(
    AgentRegistry registry,
    BriefComposer composer,
    BriefStore briefs,
    RuntimeMetrics metrics,
    ConsentStore consent,
    AssessmentAudit assessmentAudit,
    TimeProvider time,
    ILogger<CustomerActor> logger) : Actor
{
    /// <summary>The running turn's counts, added to the runtime's metrics once its state is saved.</summary>
    private readonly TurnMetrics _counts = new(metrics);

    /// <summary><see cref="LongestCooldownDays"/> as the prune takes it, made once per activation, not per turn.</summary>
    private MarkCooldown? _markCooldown;

    public const string TypeName = "CustomerActor";
    public const string ApplyMethod = "apply";
    public const string SnapshotMethod = "snapshot";
    public const string StateKey = "customer";
    private const string RescoreReminder = "renewal-rescore";

    /// <summary>A version that fails on every call (a plugin that throws) fails every event of every customer: one stack trace per version per interval, with the count since.</summary>
    private static readonly LogThrottle AssessFailureLog = new(TimeSpan.FromSeconds(10));

    public static readonly IReadOnlyDictionary<string, Type?> Methods = new Dictionary<string, Type?>
    {
        [ApplyMethod] = typeof(ApplyEvents),
        [SnapshotMethod] = null,
    };

    /// <summary>
    /// Both methods may run twice for one call with the effect of once, so under Dapr a call whose connection to daprd dropped
    /// mid-call is sent again: <c>apply</c> checks each event's delivery number (or, for events published by others, its id
    /// among the customer's latest ones) and applies a repeat never; <c>snapshot</c> only reads.
    /// </summary>
    public static readonly IReadOnlySet<string> Repeatable = new HashSet<string>(StringComparer.Ordinal) { ApplyMethod, SnapshotMethod };

    /// <summary>What callers read back; under Dapr the answer travels as JSON and is read as these types.</summary>
    public static readonly IReadOnlyDictionary<string, Type?> Results = new Dictionary<string, Type?>
    {
        [ApplyMethod] = typeof(ApplyOutcome),
        [SnapshotMethod] = typeof(CustomerSnapshot),
    };

    public override async Task<object?> InvokeAsync(string method, object? argument, CancellationToken cancellationToken) => method switch
    {
        ApplyMethod => await ApplyAsync((ApplyEvents)argument!, cancellationToken),
        SnapshotMethod => await SnapshotAsync(cancellationToken),
        _ => throw new ArgumentException($"CustomerActor has no method '{method}'.", nameof(method)),
    };

    private async Task<ApplyOutcome> ApplyAsync(ApplyEvents message, CancellationToken cancellationToken)
    {
        var state = await State.GetAsync(StateKey, CustomerStateJson.Default.CustomerState, cancellationToken) ?? new CustomerState { CustomerId = Id.Id };
        _counts.Begin(State);
        // The set is read once: the whole turn runs on the agent versions it started with.
        using var lease = registry.Enter();
        var set = lease.Set;
        int applied = 0, assessed = 0, written = 0;
        var numbersRecorded = false;
        // Seen-before checks in arrival order (an inbox event without a number is checked by sequence), then the new
        // events applied and assessed in occurredAt order, stable for equal times: a batch [11-09, 11-01] writes the
        // briefs [11-01, 11-09] does (the 11-01 event was judged as of 11-09 and fell in the cooldown of its brief).
        var admitted = new List<ApplyEvent>(message.Events.Count);
        foreach (var e in message.Events)
        {
            var outcome = CustomerTimeline.Admit(state, e.Event, e.Seq, e.Delivery, e.Replay, admitted.Count);
            if (outcome == CustomerTimeline.Outcome.Applied)
                admitted.Add(e);
            else
            {
                numbersRecorded |= outcome == CustomerTimeline.Outcome.DuplicateNumberRecorded;
                _counts.DuplicateDelivery();
            }
        }
        foreach (var e in admitted.Count > 1 ? admitted.OrderBy(a => a.Event.OccurredAt).ToList() : admitted)
        {
            CustomerTimeline.Fold(state, e.Event);
            applied++;
            var runs = set.For(e.Event.Type, Id.Id);
            var (a, w) = await AssessAsync(state, runs, set.PlanFor(e.Event.Type), state.LastEventAt ?? e.Event.OccurredAt, e.Event.Id, cancellationToken);
            assessed += a;
            written += w;
            _counts.EventApplied(time.GetUtcNow() - e.ReceivedAt, a > 0);
            if (e.Event.Type == "contract")
                await ScheduleRescoreAsync(state, cancellationToken);
        }
        // A duplicate may still teach the state a delivery number (the same event accepted under another number).
        if (applied > 0 || numbersRecorded)
        {
            ForgetExpiredMarks(state, _markCooldown ??= LongestCooldownDays);
            State.Set(StateKey, state, CustomerStateJson.Default.CustomerState);
        }
        return new ApplyOutcome(applied, assessed, written);
    }

    private async Task<(int Assessed, int Briefs)> AssessAsync(CustomerState state, IReadOnlyList<AgentRun> runs, SnapshotPlan plan, DateTimeOffset asOf, string triggerId, CancellationToken cancellationToken)
    {
        if (runs.Count == 0)
            return (0, 0);
        // Only the fields these agents read are derived (each sees only those anyway).
        var snapshot = SnapshotBuilder.Build(state, asOf, plan);
        // Consent is read once per turn: a revocation applies from the next turn on.
        var policy = consent.For(Id.Id);
        var now = time.GetUtcNow();
        var written = 0;
        // Delivering versions first, so each shadow run can be compared with the version serving this customer; with no
        // shadow run (nearly every turn) the runs as they are, and nothing to compare them by.
        var shadows = false;
        foreach (var run in runs)
            shadows |= run.Shadow;
        var fired = shadows ? new Dictionary<LiveAgent, bool>() : null;
        foreach (var run in shadows ? runs.OrderBy(r => r.Shadow).ToList() : runs)
        {
            var live = run.Agent;
            var manifest = live.Record.Manifest;
            var outcome = AssessmentPipeline.Assess(live.Agent, snapshot, policy, now);
            if (outcome.Blocked)
            {
                _counts.ConsentBlocked(manifest.Id, manifest.Version);
                var blocked = live.Record;
                State.Enlist(ctx => assessmentAudit.ConsentBlocked(ctx, blocked, Id.Id, outcome.Withheld, triggerId));
                continue;
            }
            if (outcome.Assessment is not { } assessment)
            {
                _counts.AssessFailed(manifest.Id, manifest.Version);
                if (AssessFailureLog.ShouldLog(manifest.Id + "@" + manifest.Version, out var unlogged))
                    LogAssessFailed(outcome.Error!, manifest.Id, manifest.Version, Id.Id, triggerId, unlogged, AssessFailureLog.Interval.TotalSeconds);
                continue;
            }
            _counts.Assessed(manifest.Id, manifest.Version, outcome.Elapsed, assessment.Fired);
            if (fired is not null)
                fired[live] = assessment.Fired;
            if (run.Shadow)
                _counts.ShadowAgreement(manifest.Id, manifest.Version, assessment.Fired, run.Baseline is { } b && fired!.TryGetValue(b, out var bf) ? bf : null);
            // Shadow runs keep their own marks, so a shadow brief never silences the delivering version (nor the reverse).
            var cooldownAgent = run.Shadow ? $"{manifest.Id}@{manifest.Version}{ShadowSuffix}" : manifest.Id;
            if (!assessment.Fired)
                continue;
            var marks = MarksToLeave(state, cooldownAgent, manifest, assessment, asOf);
            if (marks.Count == 0)
            {
                if (!run.Shadow)
                {
                    var record = live.Record;
                    var evidence = assessment.Reasons.SelectMany(r => r.EventIds).Append(triggerId).Distinct(StringComparer.Ordinal).ToList();
                    State.Enlist(ctx => assessmentAudit.FiredWithoutBrief(ctx, record, Id.Id, assessment.Score, evidence, "cooldown", triggerId));
                }
                continue;
            }
            // The brief (and a chat model writing it) names the customer only where consent lets this purpose see identity.
            var named = policy.Allows(manifest.Purpose, "profile.name", now) ? snapshot : outcome.Seen;
            // Without identity, what the agent quoted of it (a document's title, a notice's buyer) goes before a model is given it.
            var withheld = !ReferenceEquals(named, snapshot);
            var quotable = withheld ? BriefNaming.Quotable(snapshot, outcome.Seen) : null;
            var brief = await composer.ComposeAsync(live.Record, named, outcome.Seen, quotable is null ? assessment : BriefNaming.Unquoted(assessment, quotable), triggerId, _counts, cancellationToken);
            if (quotable is not null)
                brief = BriefNaming.WrittenWithout(brief, quotable, manifest);
            if (run.Shadow)
                brief = brief with { Status = BriefStatus.Shadow };
            var eventIds = assessment.Reasons.SelectMany(r => r.EventIds).Append(triggerId).Distinct(StringComparer.Ordinal).ToList();
            // Stored with the turn's state, in one commit: the brief and the cooldown mark that records it land together.
            // Consent is checked again there: a withdrawal that answered while this turn ran keeps the brief out. Not by
            // storing the state without the brief: its cooldown mark is in that state, and once consent was given back the
            // agent stayed silent for cooldownDays over a brief that was never stored (audited "suppressedBy: cooldown").
            // The turn runs again instead, on the consent in force (blocked from the start: no brief, no mark, the block
            // audited), as for a version taken back meanwhile.
            State.Enlist(ctx =>
            {
                if (consent.For(ctx, Id.Id).Decide(manifest, now) is { Blocked: true })
                {
                    consent.Forget(Id.Id);
                    throw new TurnConflictException($"Consent of customer {Id.Id} for {manifest.Id}@{manifest.Version} was withdrawn while a turn ran it.");
                }
                briefs.Add(ctx, brief, eventIds);
            });
            written++;
            foreach (var (key, mark) in marks)
            {
                state.LastBriefs[key] = mark;
                StateBytes.Grew(state, key);
            }
            ForgetExpiredMarks(state, cooldownAgent, Math.Max(manifest.CooldownDays, LongestCooldownDays(cooldownAgent) ?? 0), asOf);
        }
        return (runs.Count, written);
    }

    /// <summary>
    /// The longest cooldown that could read marks of <paramref name="agent"/> (a mark key's agent part): a shadow version's
    /// own, a delivering agent's the longest of its stored versions (the next to serve may be any); null when none is stored.
    /// </summary>
    private double? LongestCooldownDays(ReadOnlySpan<char> agent) =>
        registry.LongestCooldownDays(agent.EndsWith(ShadowSuffix, StringComparison.Ordinal) ? agent[..^ShadowSuffix.Length] : agent);

    private async Task ScheduleRescoreAsync(CustomerState state, CancellationToken cancellationToken)
    {
        if (state.Contract?.End is not { } end)
            return;
        var now = time.GetUtcNow();
        // The sandbox replays a timeline case's re-scores from the same schedule (RenewalRescore.NextDue).
        if (RenewalRescore.NextDue(end, now) is { } due)
            await Scheduler.RegisterReminderAsync(RescoreReminder, due - now, null, null, cancellationToken);
        else
            await Scheduler.UnregisterReminderAsync(RescoreReminder, cancellationToken);
    }

    public override async Task ReceiveReminderAsync(string name, JsonElement? data, CancellationToken cancellationToken)
    {
        if (name != RescoreReminder)
            return;
        var state = await State.GetAsync(StateKey, CustomerStateJson.Default.CustomerState, cancellationToken);
        if (state is null)
            return;
        var now = time.GetUtcNow();
        _counts.Begin(State);
        using var lease = registry.Enter();
        await AssessAsync(state, lease.Set.For("contract", Id.Id), lease.Set.PlanFor("contract"), now, RescoreTrigger(state, now), cancellationToken);
        await ScheduleRescoreAsync(state, cancellationToken);
        ForgetExpiredMarks(state, _markCooldown ??= LongestCooldownDays);
        State.Set(StateKey, state, CustomerStateJson.Default.CustomerState);
    }

    /// <summary>
    /// What a re-score firing is named after (its briefs' trigger, part of their id): the point it re-scores — the latest
    /// of 90, 60 and 30 days before the contract's end that has passed — not the day it ran, so a firing repeated after a
    /// failure (under Dapr the briefs of a turn whose state save failed are already written) names the same briefs.
    /// </summary>
    internal static string RescoreTrigger(CustomerState state, DateTimeOffset now)
    {
        if (state.Contract?.End is { } end)
        {
            foreach (var days in RenewalRescore.DaysBeforeEnd.Reverse())
            {
                if (end.AddDays(-days) <= now)
                    return $"reminder:{RescoreReminder}:{end.UtcDateTime:yyyyMMdd}-{days}d";
            }
        }
        return $"reminder:{RescoreReminder}:{now.UtcDateTime:yyyyMMdd}";
    }

    private async Task<CustomerSnapshot?> SnapshotAsync(CancellationToken cancellationToken)
    {
        var state = await State.GetAsync(StateKey, CustomerStateJson.Default.CustomerState, cancellationToken);
        return state is null ? null : SnapshotBuilder.Build(state, state.LastEventAt ?? time.GetUtcNow());
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Agent {AgentId}@{Version} failed on customer {CustomerId} at {Trigger}; counted as an error ({Unlogged} more failures of this version since the last one logged; logged at most once per {Interval} s)")]
    private partial void LogAssessFailed(Exception ex, string agentId, string version, string customerId, string trigger, int unlogged, double interval);
}
