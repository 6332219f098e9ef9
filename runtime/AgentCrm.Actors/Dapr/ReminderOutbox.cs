using System.Text.Json;
using AgentCrm.Actors;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Dapr;

/// <summary>
/// The reminder calls of one Dapr-hosted activation that are saved in its state (under <see cref="Key"/>, in the turn's
/// own transaction) but not yet taken by daprd, which keeps reminders apart from state. Per reminder name only the last
/// call counts (each replaces the one before). They are sent after the save that holds them and, until daprd has them,
/// before each later turn (again after a reactivation); a call daprd refuses for good (a bad request, a type it does
/// not host) is dropped and logged. Once
/// sent they are removed from state at once or, if that fails, in the next save: never re-sent on this activation, so a
/// one-shot reminder that fired is not armed again.
/// </summary>
internal sealed partial class ReminderOutbox(ActorId id, DaprActorScheduler scheduler, IActorStateStore store, ILogger logger)
{
    /// <summary>The state key; reserved on every actor (see <see cref="ActorStateManager"/>).</summary>
    public const string Key = "agentcrm.reminder-outbox";

    /// <summary>daprd's errors (protocol sheet §3.1) that the same call will always get.</summary>
    private static readonly HashSet<string> RefusedForGood = ["ERR_BAD_REQUEST", "ERR_MALFORMED_REQUEST", "ERR_ACTOR_REMINDER_NON_HOSTED", "ERR_ACTOR_TYPE_RESERVED"];

    private static readonly TurnChanges Removal = new([new StateChange(Key, null)], []);

    private IReadOnlyList<ReminderCall> _pending = [];
    private bool _removalOwed;

    public bool HasPending => _pending.Count > 0;

    /// <summary>Reads what an earlier activation saved and daprd may not have (a call of the activation runs it, as daprd holds the actor).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var saved = await store.LoadAsync(id, Key, cancellationToken).ConfigureAwait(false);
        _pending = saved is null ? [] : JsonSerializer.Deserialize<ReminderCall[]>(saved, ActorStateManager.Json) ?? [];
    }

    /// <summary>
    /// A turn's changes with the outbox they must carry: the pending calls and the turn's <paramref name="calls"/> (a turn
    /// without calls carries an owed removal instead), and what to note once that save succeeded.
    /// </summary>
    public (TurnChanges Changes, Action Saved) With(TurnChanges changes, IReadOnlyList<ReminderCall> calls)
    {
        if (calls.Count > 0)
        {
            var merged = Merge(_pending, calls);
            var upsert = new StateChange(Key, JsonSerializer.SerializeToUtf8Bytes(merged, ActorStateManager.Json));
            return (changes with { State = [.. changes.State, upsert] }, () => (_pending, _removalOwed) = (merged, false));
        }
        if (_removalOwed && _pending.Count == 0)
            return (changes with { State = [.. changes.State, new StateChange(Key, null)] }, () => _removalOwed = false);
        return (changes, static () => { });
    }

    /// <summary>Sends pending calls, if any; if daprd refuses them again they stay saved, for the next try (the actor's turns go on).</summary>
    public async Task TrySendAsync()
    {
        if (_pending.Count == 0)
            return;
        try
        {
            await SendAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogNotSent(ex, id.Type, id.Id);
        }
    }

    /// <summary>Sends the pending calls in order, then removes them from state; throws the first failure that is not a refusal for good, keeping what is unsent.</summary>
    public async Task SendAsync()
    {
        for (var i = 0; i < _pending.Count; i++)
        {
            var call = _pending[i];
            try
            {
                await scheduler.SendAsync([call]).ConfigureAwait(false);
            }
            catch (DaprApiException ex) when (RefusedForGood.Contains(ex.ErrorCode ?? ""))
            {
                // Sending it again cannot help (a bad name, a type this sidecar does not host). Other 4xx pass
                // (ERR_ACTOR_NO_PLACEMENT while the sidecar starts, ERR_ACTOR_NO_ADDRESS while placement rebalances).
                LogRefused(ex, call.Name, id.Type, id.Id);
            }
            catch
            {
                _pending = _pending.Skip(i).ToArray();
                throw;
            }
        }
        (_pending, _removalOwed) = ([], true);
        try
        {
            await store.SaveAsync(id, Removal, CancellationToken.None).ConfigureAwait(false);
            _removalOwed = false;
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

    [LoggerMessage(Level = LogLevel.Error, Message = "daprd refused reminder {Name} of {Type}/{Id} for good; it is dropped")]
    private partial void LogRefused(Exception ex, string name, string type, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "daprd refused the saved reminder calls of {Type}/{Id} again; they stay saved and are sent before its next turn")]
    private partial void LogNotSent(Exception ex, string type, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "daprd took the reminder calls of {Type}/{Id}, but removing them from its state failed; they go with its next save")]
    private partial void LogRemovalDeferred(Exception ex, string type, string id);
}
