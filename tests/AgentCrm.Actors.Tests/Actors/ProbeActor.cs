using System.Text.Json;

namespace AgentCrm.Actors.Tests.Actors;

internal sealed record ReminderRequest(string Name, TimeSpan DueTime, TimeSpan? Period);

/// <summary>The actor every test drives; it reports what it sees to the <see cref="Probe"/>.</summary>
internal sealed class ProbeActor(Probe probe) : Actor
{
    public const string TypeName = "probe";

    public static readonly IReadOnlyDictionary<string, Type?> Methods = new Dictionary<string, Type?>
    {
        ["serial"] = null,
        ["rendezvous"] = null,
        ["append"] = typeof(int),
        ["set"] = typeof(string),
        ["get"] = null,
        ["remove"] = null,
        ["set-then-throw"] = typeof(string),
        ["log"] = typeof(string),
        ["log-then-throw"] = typeof(string),
        ["log-failing-write"] = typeof(string),
        ["log-conflicting"] = typeof(string),
        ["count-flaky"] = typeof(string),
        ["count-only"] = null,
        ["increment"] = null,
        ["wait"] = null,
        ["remind"] = typeof(ReminderRequest),
        ["unremind"] = typeof(string),
        ["remind-then-throw"] = typeof(ReminderRequest),
        ["remind-then-set"] = typeof(ReminderRequest),
        ["remind-failing-write"] = typeof(ReminderRequest),
        ["remind-and-timer"] = typeof(ReminderRequest),
        ["timer"] = typeof(ReminderRequest),
        ["untimer"] = typeof(string),
    };

    /// <summary>Methods that may run twice for one call with the effect of once: under Dapr they are sent again after a connection dropped mid-call.</summary>
    public static readonly IReadOnlySet<string> Repeatable = new HashSet<string>(StringComparer.Ordinal) { "get" };

    /// <summary>Result types, so callers under the Dapr host read answers back as the embedded host returns them.</summary>
    public static readonly IReadOnlyDictionary<string, Type?> Results = new Dictionary<string, Type?>
    {
        ["serial"] = typeof(int),
        ["increment"] = typeof(int),
        ["get"] = typeof(string),
    };

    public static ActorId For(string id) => new(TypeName, id);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (probe.FailActivations-- > 0)
            throw new InvalidOperationException("Activation failed on purpose.");
        probe.Activated(Id);
    }

    public override async Task OnDeactivateAsync(CancellationToken cancellationToken)
    {
        probe.DeactivationStarted(Id);
        if (probe.DeactivationGate is { } gate)
            await gate.Task;
        probe.Deactivated(Id);
    }

    public override async Task<object?> InvokeAsync(string method, object? argument, CancellationToken cancellationToken)
    {
        probe.EnterTurn(Id);
        try
        {
            await Task.Yield();
            return await RunAsync(method, argument, cancellationToken);
        }
        finally
        {
            probe.ExitTurn(Id);
        }
    }

    public override async Task ReceiveReminderAsync(string name, JsonElement? data, CancellationToken cancellationToken)
    {
        probe.Reminded(Id, name, data?.GetRawText());
        if (name != "rearm")
            return;
        // As the customer actor's renewal re-score does: the firing turn moves its own reminder on.
        await Scheduler.RegisterReminderAsync(name, TimeSpan.FromDays(30), null, cancellationToken: cancellationToken);
        if (probe.FailRearms-- > 0)
            throw new InvalidOperationException("The reminder turn failed on purpose.");
    }

    public override Task ReceiveTimerAsync(string name, JsonElement? data, CancellationToken cancellationToken)
    {
        probe.TimerFired(Id, name, data?.GetRawText());
        return Task.CompletedTask;
    }

    private async Task<object?> RunAsync(string method, object? argument, CancellationToken cancellationToken)
    {
        switch (method)
        {
            case "serial":
            case "increment":
                var count = await State.GetAsync<int>("count", cancellationToken) + 1;
                State.Set("count", count);
                return count;
            case "rendezvous":
                await probe.ArriveAtRendezvousAsync(cancellationToken);
                return null;
            case "append":
                probe.Append(Id, (int)argument!);
                return null;
            case "set":
                State.Set("value", (string)argument!);
                return null;
            case "get":
                return await State.GetAsync<string>("value", cancellationToken);
            case "remove":
                State.Remove("value");
                return null;
            case "set-then-throw":
                State.Set("value", (string)argument!);
                throw new InvalidOperationException("The turn failed on purpose.");
            case "log":
                // A record in the application's database that must land exactly when the turn's state does.
                State.Set("value", (string)argument!);
                State.Enlist(ctx => AppendLog(ctx, (string)argument!));
                return null;
            case "log-then-throw":
                State.Enlist(ctx => AppendLog(ctx, (string)argument!));
                State.OnSaved(probe.CountSaved);
                throw new InvalidOperationException("The turn failed on purpose.");
            case "log-conflicting":
                // Each run counts itself in the state: only the run that is saved may leave its count behind.
                var runs = await State.GetAsync<int>("count", cancellationToken) + 1;
                State.Set("count", runs);
                Interlocked.Increment(ref probe.ConflictingRuns);
                // Counted in memory as a turn's metrics are: only the run that is saved may count.
                State.OnSaved(probe.CountSaved);
                var text = $"{argument} (run {Volatile.Read(ref probe.ConflictingRuns)})";
                State.Enlist(ctx =>
                {
                    AppendLog(ctx, text);
                    if (Interlocked.Decrement(ref probe.ConflictsLeft) >= 0)
                        throw new TurnConflictException("What the turn ran on changed, on purpose.");
                });
                return null;
            case "count-flaky":
                State.Set("value", (string)argument!);
                State.OnSaved(probe.CountSaved);
                State.Enlist(ctx =>
                {
                    AppendLog(ctx, (string)argument!);
                    if (Interlocked.Decrement(ref probe.FailSaves) >= 0)
                        throw new InvalidOperationException("The enlisted write failed on purpose.");
                });
                return null;
            case "count-only":
                // Nothing to save: the turn counts as saved.
                State.OnSaved(probe.CountSaved);
                return null;
            case "log-failing-write":
                State.Set("value", (string)argument!);
                State.Enlist(ctx =>
                {
                    AppendLog(ctx, (string)argument!);
                    throw new InvalidOperationException("The enlisted write failed on purpose.");
                });
                return null;
            case "wait":
                probe.EnteredGate();
                await probe.Gate.Task.WaitAsync(Probe.Timeout, cancellationToken);
                return null;
            case "remind":
                var reminder = (ReminderRequest)argument!;
                await Scheduler.RegisterReminderAsync(reminder.Name, reminder.DueTime, reminder.Period, cancellationToken: cancellationToken);
                return null;
            case "remind-then-set":
                var kept = (ReminderRequest)argument!;
                await Scheduler.RegisterReminderAsync(kept.Name, kept.DueTime, kept.Period, cancellationToken: cancellationToken);
                State.Set("value", kept.Name);
                return null;
            case "remind-then-throw":
                var doomed = (ReminderRequest)argument!;
                await Scheduler.RegisterReminderAsync(doomed.Name, doomed.DueTime, doomed.Period, cancellationToken: cancellationToken);
                throw new InvalidOperationException("The turn failed on purpose.");
            case "remind-failing-write":
                var unsaved = (ReminderRequest)argument!;
                await Scheduler.RegisterReminderAsync(unsaved.Name, unsaved.DueTime, unsaved.Period, cancellationToken: cancellationToken);
                State.Set("value", unsaved.Name);
                State.Enlist(_ => throw new InvalidOperationException("The enlisted write failed on purpose."));
                return null;
            case "remind-and-timer":
                var both = (ReminderRequest)argument!;
                await Scheduler.RegisterReminderAsync(both.Name, both.DueTime, both.Period, cancellationToken: cancellationToken);
                Scheduler.RegisterTimer(both.Name, both.DueTime, both.Period);
                State.Set("value", both.Name);
                return null;
            case "unremind":
                await Scheduler.UnregisterReminderAsync((string)argument!, cancellationToken);
                return null;
            case "timer":
                var timer = (ReminderRequest)argument!;
                Scheduler.RegisterTimer(timer.Name, timer.DueTime, timer.Period);
                return null;
            case "untimer":
                Scheduler.UnregisterTimer((string)argument!);
                return null;
            default:
                throw new NotSupportedException($"Unknown method {method}.");
        }
    }

    /// <summary>The table the "log" methods write to (<see cref="IActorStateManager.Enlist"/>).</summary>
    public const string LogTable = "probe_log";

    private static void AppendLog(AgentCrm.Storage.WriteContext ctx, string text)
    {
        ctx.Execute($"CREATE TABLE IF NOT EXISTS {LogTable} (text TEXT NOT NULL)");
        ctx.Execute($"INSERT INTO {LogTable} (text) VALUES ($t)", ("$t", text));
    }
}
