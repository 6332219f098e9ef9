using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using AgentCrm.Storage;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Actors;

/// <summary>
/// Durable reminders: registrations are rows of <c>actor_reminders</c>; a loop reads the due rows
/// (on start too, so reminders persisted before a restart fire after it) and posts each as a turn,
/// activating the actor if needed. At-least-once: a row moves on only after its turn succeeded.
/// </summary>
internal sealed class ReminderScheduler(ReminderTable table, EmbeddedActorHost host, TimeProvider time, TimeSpan pollInterval, ILogger logger)
{
    private const int BatchSize = 1000;
    private static readonly TimeSpan UnknownTypeRetry = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<(ActorId Actor, string Name), ReminderTurn> _inFlight = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private ITimer? _tick;
    private Task _loop = Task.CompletedTask;

    /// <summary>
    /// The write that registers or replaces a reminder. The registering turn enlists it with its state, so the reminder
    /// changes exactly when that state is saved: a failed turn (or a crash before its commit) changes no reminder.
    /// </summary>
    public Action<WriteContext> Register(ActorId actor, string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero);
        if (period is { } p)
            ArgumentOutOfRangeException.ThrowIfLessThan(p, TimeSpan.FromMilliseconds(1), nameof(period));
        var due = (time.GetUtcNow() + dueTime).ToUnixTimeMilliseconds();
        var row = new ReminderRow(actor, name, due, (long?)period?.TotalMilliseconds, data is { ValueKind: not JsonValueKind.Undefined } json ? json.GetRawText() : null);
        return ctx =>
        {
            ReminderTable.Upsert(ctx, row);
            ctx.AfterCommit(Wake);
        };
    }

    /// <summary>The write that removes a reminder; enlisted like <see cref="Register"/>.</summary>
    public static Action<WriteContext> Unregister(ActorId actor, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return ctx => ReminderTable.Delete(ctx, actor, name);
    }

    public void Start(CancellationToken stopping)
    {
        _tick = time.CreateTimer(static state => ((ReminderScheduler)state!).Wake(), this, pollInterval, pollInterval);
        Wake();
        _loop = Task.Run(() => RunAsync(stopping), CancellationToken.None);
    }

    /// <summary>Stops polling (the stopping token must be cancelled); reminder turns already posted still run.</summary>
    public async Task StopAsync()
    {
        _tick?.Dispose();
        await _loop.ConfigureAwait(false);
    }

    /// <summary>Posts a turn for every due reminder not already running; returns those turns (each true once its reminder moved on, false if the turn failed).</summary>
    public List<Task<bool>> DispatchDue()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var rows = table.LoadDue(now, BatchSize);
        var turns = new List<Task<bool>>();
        var posted = 0;
        foreach (var row in rows)
        {
            var key = (row.Actor, row.Name);
            var turn = new ReminderTurn(row, now, this);
            if (!_inFlight.TryAdd(key, turn))
                continue;
            if (!host.TryPost(row.Actor, turn))
            {
                _inFlight.TryRemove(key, out _);
                // Its actor type is not registered (the host logged it once): looked at again a minute later, not every poll.
                if (!host.Stopping)
                    turns.Add(RetryLaterAsync(row, now + (long)UnknownTypeRetry.TotalMilliseconds));
                continue;
            }
            posted++;
            turns.Add(FollowAsync(key, turn));
        }
        if (rows.Count == BatchSize && posted > 0)
            Wake();
        return turns;
    }

    /// <summary>
    /// Moves a fired reminder on: a periodic one to its first due time after it was dispatched (missed
    /// periods fold into this one firing; counting from dispatch, not from now, so a slow turn skips
    /// nothing), a one-shot deleted.
    /// </summary>
    public Task CompleteAsync(ReminderRow fired, long firedAtMs)
    {
        long? next = null;
        if (fired.PeriodMs is { } period)
        {
            var periods = firedAtMs < fired.DueAtMs ? 1 : ((firedAtMs - fired.DueAtMs) / period) + 1;
            next = fired.DueAtMs + (periods * period);
        }
        return table.CompleteAsync(fired, next);
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>
    /// A reminder that did not fire is due again at <paramref name="dueMs"/> (a failed turn: the time it was dispatched,
    /// so still due, but behind every reminder that was due before): a thousand that fail forever (a poll reads the
    /// thousand due first) never keep the others from firing. Returns false (it did not fire).
    /// </summary>
    private async Task<bool> RetryLaterAsync(ReminderRow row, long dueMs)
    {
        try
        {
            if (row.DueAtMs < dueMs)
                await table.RetryLaterAsync(row, dueMs).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ActorLog.ReminderPollFailed(logger, ex);
        }
        return false;
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
                try
                {
                    DispatchDue();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    ActorLog.ReminderPollFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> FollowAsync((ActorId Actor, string Name) key, ReminderTurn turn)
    {
        try
        {
            await turn.Task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The activation logged it; the next poll retries it. Moved back before it counts as no longer running, so a
            // poll in between cannot fire it again under its old due time (which its completion would then not find).
            try
            {
                if (!host.Stopping)
                    await RetryLaterAsync(turn.Row, turn.FiredAtMs).ConfigureAwait(false);
            }
            finally
            {
                _inFlight.TryRemove(key, out _);
            }
            return false;
        }
        _inFlight.TryRemove(key, out _);
        // A poll that skipped this reminder while it ran may have missed its next due time.
        Wake();
        return true;
    }
}
