using System.Collections.Concurrent;
using AgentCrm.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentCrm.Actors;

/// <summary>
/// The in-process virtual-actor host (<c>Runtime:Host = Embedded</c>): one activation per id, turns one
/// at a time per actor and in parallel across actors, state and reminders in SQLite, idle deactivation,
/// graceful drain on shutdown.
/// </summary>
public sealed class EmbeddedActorHost : IActorHost, IHostedService, IAsyncDisposable
{
    private readonly ConcurrentDictionary<ActorId, ActorActivation> _activations = new();
    private readonly ConcurrentDictionary<string, bool> _unknownReminderTypes = new(StringComparer.Ordinal);
    private readonly ActorTypeRegistry _registry;
    private readonly ActorOptions _options;
    private readonly CancellationTokenSource _stopLoops = new();
    private readonly CancellationTokenSource _abortTurns = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _sweepLoop = Task.CompletedTask;
    private volatile bool _stopping;
    private int _stopStarted;
    private int _activeActivations;
    private static readonly TimeSpan CapSweepInterval = TimeSpan.FromSeconds(1);
    private int _capSweepRunning;
    private int _capSweepScheduled;
    private long _lastCapSweep;
    private long _turnsRun;

    public EmbeddedActorHost(
        IServiceProvider services,
        ActorTypeRegistry registry,
        IActorStateStore store,
        SqliteDatabase database,
        SqliteWriter writer,
        TimeProvider time,
        IOptions<ActorOptions> options,
        ILogger<EmbeddedActorHost> logger)
    {
        Services = services;
        _registry = registry;
        Store = store;
        Time = time;
        _options = options.Value;
        Logger = logger;
        Reminders = new ReminderScheduler(new ReminderTable(database, writer), this, time, _options.ReminderPollInterval, logger);
    }

    /// <summary>Actors activated and not yet deactivated.</summary>
    public int ActiveActivations => Volatile.Read(ref _activeActivations);

    /// <summary>Turns run since start (calls, reminders, timers; failed ones included).</summary>
    public long TurnsRun => Interlocked.Read(ref _turnsRun);

    internal IServiceProvider Services { get; }

    internal IActorStateStore Store { get; }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    internal ReminderScheduler Reminders { get; }

    internal CancellationToken AbortToken => _abortTurns.Token;

    internal bool Stopping => _stopping;

    /// <inheritdoc />
    /// <remarks>
    /// An unknown actor type (<see cref="KeyNotFoundException"/>) or a host that is stopping
    /// (<see cref="ActorHostStoppingException"/>) fails the returned task; nothing was enqueued.
    /// </remarks>
    public Task<object?> InvokeAsync(ActorId id, string method, object? argument, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id.Type, nameof(id));
        ArgumentException.ThrowIfNullOrEmpty(id.Id, nameof(id));
        ArgumentException.ThrowIfNullOrEmpty(method);
        if (!_registry.TryGet(id.Type, out var type))
            return Task.FromException<object?>(ActorTypeRegistry.NotRegistered(id.Type));
        var call = new MethodCall(method, argument, cancellationToken);
        if (!TryPost(id, type, call))
            return Task.FromException<object?>(new ActorHostStoppingException(id));
        return call.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _sweepLoop = SweepLoopAsync(_stopLoops.Token);
        Reminders.Start(_stopLoops.Token);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Graceful drain: rejects new calls (<see cref="ActorHostStoppingException"/>), stops reminders and
    /// idle sweeps, lets queued and running turns finish within <see cref="ActorOptions.DrainTimeout"/>
    /// (then cancels them), and deactivates every actor.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopStarted, 1) == 1)
        {
            await _stopped.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        _stopping = true;
        try
        {
            await _stopLoops.CancelAsync().ConfigureAwait(false);
            await Reminders.StopAsync().ConfigureAwait(false);
            await _sweepLoop.ConfigureAwait(false);
            await DrainAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    /// <summary>One idle sweep; completes once the actors it closed are deactivated.</summary>
    internal Task DeactivateIdleAsync() => Task.WhenAll(CloseIdle());

    /// <summary>Deactivates one actor once its queued turns ran; false if it was not active.</summary>
    internal async Task<bool> DeactivateAsync(ActorId id)
    {
        if (!_activations.TryGetValue(id, out var activation))
            return false;
        activation.Close();
        await activation.Completion.ConfigureAwait(false);
        return true;
    }

    /// <summary>Fires every due reminder now and waits for their turns; returns how many turns succeeded.</summary>
    internal async Task<int> FireDueRemindersAsync()
    {
        var results = await Task.WhenAll(Reminders.DispatchDue()).ConfigureAwait(false);
        return results.Count(succeeded => succeeded);
    }

    /// <summary>Posts a turn on behalf of the runtime (a reminder); false if the host is stopping or the type is unknown.</summary>
    internal bool TryPost(ActorId id, ActorWorkItem item)
    {
        if (_registry.TryGet(id.Type, out var type))
            return TryPost(id, type, item);
        if (_unknownReminderTypes.TryAdd(id.Type, true))
            ActorLog.ReminderTypeUnknown(Logger, id.Type);
        return false;
    }

    internal void Remove(ActorActivation activation) => _activations.TryRemove(KeyValuePair.Create(activation.Id, activation));

    internal void OnActivated()
    {
        // Past the cap the excess goes now, not at the next sweep: a burst of new customers would otherwise hold memory for a scan interval.
        if (Interlocked.Increment(ref _activeActivations) > _options.MaxActivations)
            _ = Task.Run(TryCloseOverCap);
    }

    internal void OnDeactivated() => Interlocked.Decrement(ref _activeActivations);

    internal void OnTurnRun() => Interlocked.Increment(ref _turnsRun);

    // Enqueues synchronously, so calls made one after another to one actor run in that order.
    private bool TryPost(ActorId id, ActorTypeInfo type, ActorWorkItem item)
    {
        while (true)
        {
            if (_stopping)
                return false;
            var activation = _activations.GetOrAdd(id, static (id, s) => new ActorActivation(id, s.type, s.host, predecessor: null), (type, host: this));
            activation.EnsureStarted();
            if (activation.TryEnqueue(item))
                return true;
            // It is closing: queue on a successor that activates only after it has deactivated. A lost race
            // (another caller installed a successor, or the old one is gone) just retries.
            var successor = new ActorActivation(id, type, this, predecessor: activation);
            if (!_activations.TryUpdate(id, successor, activation))
                continue;
            successor.EnsureStarted();
            if (successor.TryEnqueue(item))
                return true;
        }
    }

    private async Task SweepLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.ScanInterval, Time);
        try
        {
            // Closes without waiting for the deactivations: a slow OnDeactivateAsync must not hold up sweeps or shutdown.
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
                CloseIdle();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private List<Task> CloseIdle()
    {
        var now = Time.GetUtcNow();
        var closing = new List<Task>();
        foreach (var (_, activation) in _activations)
            if (activation.TryCloseIfIdle(now, _options.IdleTimeout))
                closing.Add(activation.Completion);
        if (closing.Count > 0)
            ActorLog.DeactivatingIdle(Logger, closing.Count);
        closing.AddRange(TryCloseOverCap());
        return closing;
    }

    /// <summary>
    /// One cap sweep at a time, held until the actors it closed have deactivated (until then they still count), and at
    /// most one a second: when the actors past the cap all have turns queued, nothing closes and activations go on. A
    /// sweep refused for either reason is not lost: the running one looks again when it is done, a refused one a second
    /// after the last.
    /// </summary>
    private List<Task> TryCloseOverCap()
    {
        if (ActiveActivations <= _options.MaxActivations)
            return [];
        var now = Time.GetTimestamp();
        var last = Interlocked.Read(ref _lastCapSweep);
        var sinceLast = last == 0 ? CapSweepInterval : Time.GetElapsedTime(last, now);
        if (sinceLast < CapSweepInterval)
        {
            ScheduleCapSweep(CapSweepInterval - sinceLast);
            return [];
        }
        if (Interlocked.Exchange(ref _capSweepRunning, 1) == 1)
            return [];
        Interlocked.Exchange(ref _lastCapSweep, now);
        List<Task> closing = [];
        try
        {
            closing = CloseOverCap();
        }
        finally
        {
            _ = Task.WhenAll(closing).ContinueWith(_ =>
            {
                // A full fence: the count must be read after the flag is down, or an activation seeing it still up is missed.
                Interlocked.Exchange(ref _capSweepRunning, 0);
                if (ActiveActivations > _options.MaxActivations)
                    ScheduleCapSweep(CapSweepInterval);
            }, TaskScheduler.Default);
        }
        return closing;
    }

    private void ScheduleCapSweep(TimeSpan delay)
    {
        if (_stopping || Interlocked.Exchange(ref _capSweepScheduled, 1) == 1)
            return;
        _ = Task.Delay(delay, Time, _stopLoops.Token).ContinueWith(_ =>
        {
            Volatile.Write(ref _capSweepScheduled, 0);
            if (!_stopping)
                TryCloseOverCap();
        }, TaskScheduler.Default);
    }

    /// <summary>Past <see cref="ActorOptions.MaxActivations"/>: closes the least recently active actors with nothing queued, down to nine tenths of it.</summary>
    private List<Task> CloseOverCap()
    {
        var closing = new List<Task>();
        var excess = ActiveActivations - (_options.MaxActivations - _options.MaxActivations / 10);
        var now = Time.GetUtcNow();
        foreach (var activation in _activations.Values.Select(a => (Activation: a, a.LastActivity)).OrderBy(a => a.LastActivity).Select(a => a.Activation))
        {
            if (closing.Count >= excess)
                break;
            if (activation.TryCloseIfIdle(now, TimeSpan.Zero))
                closing.Add(activation.Completion);
        }
        if (closing.Count > 0)
            ActorLog.DeactivatingOverCap(Logger, closing.Count, _options.MaxActivations);
        return closing;
    }

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.DrainTimeout, Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            // Repeats because a call that passed the stopping check just before it may still add an activation.
            while (!_activations.IsEmpty)
            {
                var closing = new List<Task>();
                foreach (var (_, activation) in _activations)
                {
                    activation.EnsureStarted();
                    activation.Close();
                    closing.Add(activation.Completion);
                }
                await Task.WhenAll(closing).WaitAsync(linked.Token).ConfigureAwait(false);
            }
            ActorLog.Drained(Logger);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            // Said as it was: the host's own stop budget can run out first (what stopped before the actors used it).
            if (timeout.IsCancellationRequested)
                ActorLog.DrainTimedOut(Logger, _options.DrainTimeout.TotalSeconds, _activations.Count);
            else
                ActorLog.DrainCutShort(Logger, _activations.Count);
            await _abortTurns.CancelAsync().ConfigureAwait(false);
        }
    }
}
