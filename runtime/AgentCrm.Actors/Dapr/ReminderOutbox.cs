using System.Text.Json;
using AgentCrm.Actors;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Dapr;

/// <summary>
/// The reminder calls of one Dapr-hosted activation that are saved in its state (under <see cref="Key"/>, in the turn's
/// own transaction) but not yet taken by daprd, which keeps reminders apart from state. Per reminder name only the last
/// call counts (each replaces the one before). They are sent after the save that holds them and, until daprd has them,
/// before each later turn (again after a reactivation); a call daprd refuses for good (a bad request, a type it does
/// not host) is dropped and logged. Once sent they are removed from state at once or, if that fails, in the next save:
/// never re-sent on this activation, so a one-shot reminder that fired is not armed again.
/// </summary>
internal sealed partial class ReminderOutbox(ActorId id, DaprActorScheduler scheduler, IActorStateStore store, TimeProvider time, ILogger logger)
{
    /// <summary>The state key; reserved on every actor (see <see cref="ActorStateManager"/>).</summary>
    public const string Key = "agentcrm.reminder-outbox";

    /// <summary>How long a try before a turn may take (the turn waits for it), and the longest pause between tries.</summary>
    private static readonly TimeSpan TryTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxPause = TimeSpan.FromMinutes(5);

    /// <summary>daprd's errors (protocol sheet §3.1) that the same call will always get.</summary>
    private static readonly HashSet<string> RefusedForGood = ["ERR_BAD_REQUEST", "ERR_MALFORMED_REQUEST", "ERR_ACTOR_REMINDER_NON_HOSTED", "ERR_ACTOR_TYPE_RESERVED"];

    private static readonly TurnChanges Removal = new([new StateChange(Key, null)], []);

    private IReadOnlyList<ReminderCall> _pending = [];

    /// <summary>State holds calls daprd has taken since: the next save writes what is pending (or removes the key).</summary>
    private bool _stateBehind;
    private int _failedTries;
    private DateTimeOffset _nextTry = DateTimeOffset.MinValue;

    public bool HasPending => _pending.Count > 0;

    /// <summary>Reads what an earlier activation saved and daprd may not have (a call of the activation runs it, as daprd holds the actor).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var saved = await store.LoadAsync(id, Key, cancellationToken).ConfigureAwait(false);
        try
        {
            _pending = saved is null ? [] : JsonSerializer.Deserialize<ReminderCall[]>(saved, ActorStateManager.Json) ?? [];
        }
        catch (JsonException ex)
        {
            // Unreadable (written by hand or another program): dropped, not retried for ever; the next save removes it.
            LogUnreadable(ex, id.Type, id.Id);
            (_pending, _stateBehind) = ([], true);
        }
    }

    /// <summary>
    /// A turn's changes with the outbox they must carry — the pending calls and the turn's <paramref name="calls"/>, or,
    /// when state holds calls daprd has taken since, what is still pending (no key when nothing is) — and what to note
    /// once that save succeeded.
    /// </summary>
    public (TurnChanges Changes, Action Saved) With(TurnChanges changes, IReadOnlyList<ReminderCall> calls)
    {
        if (calls.Count == 0 && !_stateBehind)
            return (changes, static () => { });
        var merged = Merge(_pending, calls);
        var outbox = new StateChange(Key, merged.Length == 0 ? (ReadOnlyMemory<byte>?)null : JsonSerializer.SerializeToUtf8Bytes(merged, ActorStateManager.Json));
        return (changes with { State = [.. changes.State, outbox] }, () => (_pending, _stateBehind) = (merged, false));
    }

    /// <summary>
    /// Sends pending calls before a turn, if any and if the last try is not too recent; bounded in time, since the turn
    /// waits. If daprd refuses them again they stay saved and the turn goes on; tries then pause (5 s, doubling, at most
    /// 5 minutes).
    /// </summary>
    public async Task TrySendAsync()
    {
        if (_pending.Count == 0 || time.GetUtcNow() < _nextTry)
            return;
        using var timeout = new CancellationTokenSource(TryTimeout, time);
        try
        {
            await SendAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _failedTries++;
            _nextTry = time.GetUtcNow() + TimeSpan.FromTicks(Math.Min(MaxPause.Ticks, TryTimeout.Ticks << Math.Min(_failedTries - 1, 16)));
            LogNotSent(ex, id.Type, id.Id);
        }
    }

    /// <summary>
    /// Sends the pending calls (each name once, so their order does not matter), then removes them from state; a call
    /// refused for good is dropped and logged, an unregistration of a reminder daprd does not have is done. Throws the
    /// first other failure after trying every call, keeping those that failed.
    /// </summary>
    public async Task SendAsync(CancellationToken cancellationToken = default)
    {
        var failed = new List<ReminderCall>();
        Exception? first = null;
        foreach (var call in _pending)
        {
            try
            {
                await scheduler.SendAsync([call], cancellationToken).ConfigureAwait(false);
            }
            catch (DaprApiException ex) when (RefusedForGood.Contains(ex.ErrorCode ?? ""))
            {
                // Sending it again cannot help (a bad name, a type this sidecar does not host). Other 4xx pass
                // (ERR_ACTOR_NO_PLACEMENT while the sidecar starts, ERR_ACTOR_NO_ADDRESS while placement rebalances).
                LogRefused(ex, call.Name, id.Type, id.Id);
            }
            catch (DaprApiException ex) when (call.DueAt is null && ex.ErrorCode == "ERR_ACTOR_REMINDER_NOT_FOUND")
            {
                // Already gone: what the unregistration wanted.
            }
            catch (Exception ex)
            {
                failed.Add(call);
                first ??= ex;
            }
        }
        if (first is not null)
        {
            _stateBehind |= failed.Count < _pending.Count;
            _pending = failed;
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
        (_pending, _stateBehind, _failedTries, _nextTry) = ([], true, 0, DateTimeOffset.MinValue);
        try
        {
            await store.SaveAsync(id, Removal, CancellationToken.None).ConfigureAwait(false);
            _stateBehind = false;
        }
        catch (Exception ex)
        {
            LogRemovalDeferred(ex, id.Type, id.Id);
        }
    }

    /// <summary><paramref name="calls"/> after <paramref name="pending"/>, each reminder name once, at its last call's place.</summary>
    private static ReminderCall[] Merge(IReadOnlyList<ReminderCall> pending, IReadOnlyList<ReminderCall> calls)
    {
        var all = pending.Concat(calls).ToList();
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < all.Count; i++)
            last[all[i].Name] = i;
        return [.. all.Where((c, i) => last[c.Name] == i)];
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The saved reminder calls of {Type}/{Id} cannot be read; they are dropped")]
    private partial void LogUnreadable(Exception ex, string type, string id);

    [LoggerMessage(Level = LogLevel.Error, Message = "daprd refused reminder {Name} of {Type}/{Id} for good; it is dropped")]
    private partial void LogRefused(Exception ex, string name, string type, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "daprd refused the saved reminder calls of {Type}/{Id} again; they stay saved and are sent before its next turn")]
    private partial void LogNotSent(Exception ex, string type, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "daprd took the reminder calls of {Type}/{Id}, but removing them from its state failed; they go with its next save")]
    private partial void LogRemovalDeferred(Exception ex, string type, string id);
}
