using System.Collections.Concurrent;
using System.Text.Json;
using AgentCrm.Actors;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Dapr;

/// <summary>
/// The app side of Dapr's actor protocol: the activations daprd asked this app to host. daprd already
/// guarantees one activation per id across the cluster and one turn at a time per actor; a per-actor
/// lock here keeps that true inside the process too (a cheap guard, sheet §4). Each turn reads state
/// through daprd and saves the turn's changes as one daprd transaction before it answers, so a turn's
/// state is durable before its caller hears back — as with the embedded host. Each transaction also writes a new
/// generation (<see cref="GenerationKey"/>), which a cached activation reads back before its next turn: another host's save
/// meanwhile (the actor moved while the DELETE that should have dropped it here never arrived) makes it stale, and it is
/// deactivated and activated afresh from daprd's state instead of saving its older copy over the newer one.
/// </summary>
public sealed partial class DaprActorRuntime(
    IServiceProvider services,
    ActorTypeRegistry registry,
    DaprSidecarClient sidecar,
    SqliteWriter writer,
    ILogger<DaprActorRuntime> logger)
{
    /// <summary>
    /// Method arguments are read strictly: a constructor parameter missing or a non-nullable member null (<c>{}</c> for a
    /// record of events) is a bad argument (400), not a failure inside the turn.
    /// </summary>
    private static readonly JsonSerializerOptions Arguments = new(ActorStateManager.Json)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>
    /// The state key, written with every state transaction of an actor, whose value (a new random token each time) says which
    /// save daprd holds last. Reserved on every actor (see <see cref="ActorStateManager"/>).
    /// </summary>
    public const string GenerationKey = "agentcrm.generation";

    private readonly ConcurrentDictionary<ActorId, Activation> _activations = new();
    private readonly DaprActorStateStore _store = new(sidecar, writer);
    private int _active;
    private long _turns;
    private long _sidecarStarts;

    /// <summary>Actors activated on this app and not yet deactivated.</summary>
    public int ActiveActivations => Volatile.Read(ref _active);

    /// <summary>Turns run since start (calls, reminders, timers; failed ones included).</summary>
    public long TurnsRun => Interlocked.Read(ref _turns);

    public ActorTypeRegistry Registry => registry;

    /// <summary>A method call from daprd: deserializes the argument by the method's declared type and runs one turn.</summary>
    public async Task<DaprCallResult> InvokeAsync(string typeName, string actorId, string method, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!registry.TryGet(typeName, out var type))
            return new DaprCallResult(DaprCallStatus.UnknownType, Problem: $"This app hosts no actor type '{typeName}'.");
        if (!type.Methods.TryGetValue(method, out var argumentType))
            return new DaprCallResult(DaprCallStatus.UnknownMethod, Problem: $"Actor type '{typeName}' has no method '{method}'.");
        object? argument = null;
        if (argumentType is not null)
        {
            try
            {
                argument = body.IsEmpty ? null : JsonSerializer.Deserialize(body.Span, argumentType, Arguments);
            }
            catch (JsonException ex)
            {
                return new DaprCallResult(DaprCallStatus.BadArgument, Problem: $"The body is not a {argumentType.Name} for {typeName}.{method}: {ex.Message}");
            }
            // A method that declares an argument gets one: an empty body or JSON null would fail inside the turn.
            if (argument is null)
                return new DaprCallResult(DaprCallStatus.BadArgument, Problem: $"{typeName}.{method} takes a {argumentType.Name}; the body is empty or null.");
        }
        try
        {
            var result = await RunTurnAsync(new ActorId(typeName, actorId), type, (actor, ct) => actor.InvokeAsync(method, argument, ct), cancellationToken).ConfigureAwait(false);
            return new DaprCallResult(DaprCallStatus.Ok, result is null ? null : JsonSerializer.SerializeToUtf8Bytes(result, result.GetType(), ActorStateManager.Json));
        }
        catch (Exception ex)
        {
            LogFailure(ex, typeName, actorId, $"call {method}");
            return new DaprCallResult(DaprCallStatus.Failed, Error: ex);
        }
    }

    /// <summary>A reminder fired by daprd (activating the actor if needed); throws if the turn failed, so daprd sees a non-200.</summary>
    public Task ReceiveReminderAsync(string typeName, string actorId, string name, JsonElement? data, CancellationToken cancellationToken) =>
        RunCallbackAsync(typeName, actorId, $"reminder {name}", (actor, ct) => Wrap(actor.ReceiveReminderAsync(name, data, ct)), cancellationToken);

    /// <summary>A timer tick from daprd.</summary>
    public Task ReceiveTimerAsync(string typeName, string actorId, string name, JsonElement? data, CancellationToken cancellationToken) =>
        RunCallbackAsync(typeName, actorId, $"timer {name}", (actor, ct) => Wrap(actor.ReceiveTimerAsync(name, data, ct)), cancellationToken);

    /// <summary>
    /// daprd read <c>GET /dapr/config</c>, which it does once when it starts (sheet §2.1): a sidecar that crashed and
    /// restarted lost its table of active actors without sending DELETE, and placement may have run them elsewhere meanwhile,
    /// so no activation cached before now is trusted: each is deactivated (as by DELETE) before its next turn, which
    /// activates the actor afresh from daprd's state, and the idle ones are deactivated in the background.
    /// </summary>
    public void SidecarStarted()
    {
        var starts = Interlocked.Increment(ref _sidecarStarts);
        if (_activations.IsEmpty)
            return;
        LogSidecarStarted(_activations.Count);
        _ = Task.Run(() => DropStaleAsync(starts));
    }

    private async Task DropStaleAsync(long starts)
    {
        foreach (var (id, activation) in _activations)
        {
            if (activation.SidecarStarts >= starts)
                continue;
            await activation.Lock.WaitAsync().ConfigureAwait(false);
            try
            {
                if (!activation.Closed && activation.SidecarStarts < starts)
                    await CloseAsync(id, activation).ConfigureAwait(false);
            }
            finally
            {
                activation.Lock.Release();
            }
        }
    }

    /// <summary>daprd's DELETE: runs OnDeactivateAsync after any turn in progress and forgets the actor. Idempotent; false if it was not active.</summary>
    public async Task<bool> DeactivateAsync(string typeName, string actorId)
    {
        var id = new ActorId(typeName, actorId);
        if (!_activations.TryGetValue(id, out var activation))
            return false;
        await activation.Lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (activation.Closed)
                return false;
            return await CloseAsync(id, activation).ConfigureAwait(false);
        }
        finally
        {
            activation.Lock.Release();
        }
    }

    /// <summary>Deactivates <paramref name="activation"/> (its lock held, not closed): OnDeactivateAsync, its reminders sent, forgotten; false if it never activated.</summary>
    private async Task<bool> CloseAsync(ActorId id, Activation activation)
    {
        var (typeName, actorId) = (id.Type, id.Id);
        activation.Closed = true;
        _activations.TryRemove(KeyValuePair.Create(id, activation));
        if (activation.Actor is not { } actor)
            return false;
        try
        {
            await actor.OnDeactivateAsync(CancellationToken.None).ConfigureAwait(false);
            // Reminders do not need the actor active in daprd: those OnDeactivateAsync set are sent (state cannot be
            // saved now, so older saved calls of the same name, if daprd never took them, are re-sent after them on
            // the next activation; no actor of ours sets reminders here).
            await activation.Scheduler!.FlushRemindersAsync().ConfigureAwait(false);
            // daprd has already dropped the actor from its table (sheet §2.6): a state transaction now would be refused.
            if (activation.State!.HasChanges)
                LogDeactivationStateLost(typeName, actorId);
        }
        catch (Exception ex)
        {
            LogTurnFailed(ex, typeName, actorId, "deactivation");
        }
        await DisposeAsync(actor).ConfigureAwait(false);
        Interlocked.Decrement(ref _active);
        return true;
    }

    private static async Task<object?> Wrap(Task task)
    {
        await task.ConfigureAwait(false);
        return null;
    }

    private async Task RunCallbackAsync(string typeName, string actorId, string what, Func<Actor, CancellationToken, Task<object?>> turn, CancellationToken cancellationToken)
    {
        var type = registry.Get(typeName);
        try
        {
            await RunTurnAsync(new ActorId(typeName, actorId), type, turn, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogFailure(ex, typeName, actorId, what);
            throw;
        }
    }

    private async Task<object?> RunTurnAsync(ActorId id, ActorTypeInfo type, Func<Actor, CancellationToken, Task<object?>> turn, CancellationToken cancellationToken)
    {
        while (true)
        {
            var activation = _activations.GetOrAdd(id, static i => new Activation());
            await activation.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Deactivated while this call waited for the lock: start over on a fresh activation.
                if (activation.Closed)
                    continue;
                // Cached before daprd last started (it may have lost track of the actor, run elsewhere meanwhile): its state
                // in memory may be older than daprd's. Deactivated, and the turn runs on a fresh activation.
                if (activation.Actor is not null && activation.SidecarStarts != Interlocked.Read(ref _sidecarStarts))
                {
                    await CloseAsync(id, activation).ConfigureAwait(false);
                    continue;
                }
                if (activation.Actor is null)
                {
                    var starts = Interlocked.Read(ref _sidecarStarts);
                    await ActivateAsync(id, type, activation, cancellationToken).ConfigureAwait(false);
                    activation.SidecarStarts = starts;
                }
                // Cached from an earlier turn: daprd's state may have moved on without this app hearing of it (the actor was
                // hosted elsewhere meanwhile and the DELETE that should have dropped this copy never arrived). One read of the
                // generation tells: another host's save changed it, and this copy would save over newer state.
                else if (await ReadGenerationAsync(id, activation.Store!, cancellationToken).ConfigureAwait(false) is var current
                    && !string.Equals(current, activation.Generation, StringComparison.Ordinal))
                {
                    LogStaleActivation(id.Type, id.Id);
                    await CloseAsync(id, activation).ConfigureAwait(false);
                    continue;
                }
                // Reminder calls saved by an earlier turn that daprd has not taken go first (if daprd refuses them again,
                // they stay saved and the turn runs: a sidecar that refuses reminders does not stop the actor).
                await activation.Outbox!.TrySendAsync().ConfigureAwait(false);
                Interlocked.Increment(ref _turns);
                var state = activation.State!;
                var scheduler = activation.Scheduler!;
                object? result;
                IReadOnlyList<ReminderCall> reminders;
                for (var attempt = 1; ; attempt++)
                {
                    TurnChanges changes;
                    try
                    {
                        result = await turn(activation.Actor!, cancellationToken).ConfigureAwait(false);
                        changes = state.TakeChanges();
                    }
                    catch
                    {
                        state.DiscardChanges();
                        scheduler.Discard();
                        throw;
                    }
                    // daprd keeps reminders apart from state: the turn's reminder calls are saved with its state (one
                    // transaction) and sent once it is saved, so they change with the state or not at all.
                    reminders = scheduler.TakeReminders();
                    var (toSave, saved) = activation.Outbox!.With(changes, reminders);
                    try
                    {
                        await activation.Store!.SaveAsync(id, toSave, CancellationToken.None).ConfigureAwait(false);
                        saved();
                        // daprd took the state: what this run counted in memory is counted now, once (even if its reminders
                        // are not sent below: the retry that follows is a duplicate of a saved turn).
                        state.Saved(logger);
                        break;
                    }
                    catch (TurnConflictException) when (attempt < TurnConflictException.MaxAttempts)
                    {
                        // Refused by an enlisted write, before daprd saw the state: run the turn again on the state as saved.
                        state.DiscardChanges();
                        scheduler.Discard();
                        await Task.Delay(TurnConflictException.Backoff(attempt), CancellationToken.None).ConfigureAwait(false);
                    }
                    catch
                    {
                        state.Forget(changes);
                        scheduler.Discard();
                        throw;
                    }
                }
                Exception? unsent = null;
                if (reminders.Count > 0)
                {
                    try
                    {
                        await activation.Outbox.SendAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        unsent = ex;
                    }
                }
                // The turn is saved: its timers are set whether or not daprd took its reminders.
                await scheduler.FlushAsync().ConfigureAwait(false);
                // The caller hears of it and retries (daprd redelivers, the dispatcher calls again): the state is saved,
                // so the retry is a duplicate, and the outbox is sent again before it runs.
                if (unsent is not null)
                    throw new DaprReminderOutboxException(unsent);
                return result;
            }
            finally
            {
                // A call to daprd for this actor failed or timed out (a state read, the save): daprd may hold another state than
                // this activation (a save it took after all, the actor moved or lost meanwhile). Deactivated, so the next turn
                // reads daprd's state afresh instead of trusting the copy held here.
                if (activation.SidecarFailed && !activation.Closed)
                {
                    LogSidecarFailedDeactivating(id.Type, id.Id);
                    await CloseAsync(id, activation).ConfigureAwait(false);
                }
                activation.Lock.Release();
            }
        }
    }

    private async Task ActivateAsync(ActorId id, ActorTypeInfo type, Activation activation, CancellationToken cancellationToken)
    {
        // Every save of the activation writes a new generation and remembers it.
        var generations = new GenerationStore(_store, activation);
        var store = new ActivationStore(generations, activation);
        var state = new ActorStateManager(id, store);
        var scheduler = new DaprActorScheduler(id, sidecar);
        // Not through the activation's store: a failed removal of the outbox after its reminders were sent keeps the activation,
        // which removes it in its next save (a fresh one would load the outbox and arm a one-shot reminder that fired again).
        var outbox = new ReminderOutbox(id, scheduler, generations, sidecar.Time, logger);
        var actor = (Actor)ActivatorUtilities.CreateInstance(services, type.ClrType);
        actor.Attach(new ActorContext(id, state, scheduler));
        try
        {
            // Read before any other key: a save elsewhere after it shows as a changed generation before the next turn.
            activation.Generation = await ReadGenerationAsync(id, store, cancellationToken).ConfigureAwait(false);
            // Reminder calls an earlier activation saved but daprd may not have: sent before the ones activation makes.
            await outbox.LoadAsync(cancellationToken).ConfigureAwait(false);
            await actor.OnActivateAsync(cancellationToken).ConfigureAwait(false);
            await outbox.TrySendAsync().ConfigureAwait(false);
            // As the embedded host saves what activation changed before the first turn: reminders set there are saved and
            // sent now, after (and over) any older saved ones.
            var calls = scheduler.TakeReminders();
            if (calls.Count > 0)
            {
                var (changes, saved) = outbox.With(TurnChanges.None, calls);
                await store.SaveAsync(id, changes, CancellationToken.None).ConfigureAwait(false);
                saved();
                await outbox.SendAsync().ConfigureAwait(false);
            }
        }
        catch
        {
            // The next call activates afresh.
            activation.Closed = true;
            _activations.TryRemove(KeyValuePair.Create(id, activation));
            await DisposeAsync(actor).ConfigureAwait(false);
            throw;
        }
        activation.Actor = actor;
        activation.State = state;
        activation.Scheduler = scheduler;
        activation.Outbox = outbox;
        activation.Store = store;
        Interlocked.Increment(ref _active);
    }

    /// <summary>The generation daprd holds for <paramref name="id"/> (null when none was saved): a JSON string, or its text if something else wrote it.</summary>
    private static async Task<string?> ReadGenerationAsync(ActorId id, IActorStateStore store, CancellationToken cancellationToken)
    {
        var bytes = await store.LoadAsync(id, GenerationKey, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
            return null;
        try
        {
            return JsonSerializer.Deserialize<string>(bytes);
        }
        catch (JsonException)
        {
            return System.Text.Encoding.UTF8.GetString(bytes);
        }
    }

    private async ValueTask DisposeAsync(Actor actor)
    {
        try
        {
            if (actor is IAsyncDisposable asyncDisposable)
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            else if (actor is IDisposable disposable)
                disposable.Dispose();
        }
        catch (Exception ex)
        {
            LogTurnFailed(ex, actor.Id.Type, actor.Id.Id, "dispose");
        }
    }

    /// <summary>A turn that failed because daprd did is one line with daprd's answer (its stack trace says nothing more); any other failure with its stack trace.</summary>
    private void LogFailure(Exception ex, string type, string id, string turn)
    {
        if (ex is DaprApiException sidecar)
            LogTurnFailedInSidecar(type, id, turn, sidecar.Message);
        else
            LogTurnFailed(ex, type, id, turn);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Turn {Turn} of {Type}/{Id} failed because daprd did ({Reason}); its state changes were discarded")]
    private partial void LogTurnFailedInSidecar(string type, string id, string turn, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Turn {Turn} of {Type}/{Id} failed; its state changes were discarded unless the error says they were saved")]
    private partial void LogTurnFailed(Exception ex, string type, string id, string turn);

    [LoggerMessage(Level = LogLevel.Information, Message = "daprd (re)started (it read /dapr/config): the {Count} actor activation(s) held here are deactivated, and activated afresh from daprd's state by their next call")]
    private partial void LogSidecarStarted(int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "A call to daprd for {Type}/{Id} failed or timed out: its activation here is deactivated, and its next call reads daprd's state afresh")]
    private partial void LogSidecarFailedDeactivating(string type, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Type}/{Id} was saved by another host since this app last ran it (its deactivation never reached this app): the copy held here is dropped, and the actor is activated afresh from daprd's state")]
    private partial void LogStaleActivation(string type, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Type}/{Id} changed state in OnDeactivateAsync; under Dapr that change is not saved (daprd has already released the actor)")]
    private partial void LogDeactivationStateLost(string type, string id);

    private sealed class Activation
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);

        /// <summary>How many times daprd had started (read <c>/dapr/config</c>) when this activation read its state.</summary>
        public long SidecarStarts { get; set; }

        public bool Closed { get; set; }

        public Actor? Actor { get; set; }

        public ActorStateManager? State { get; set; }

        public DaprActorScheduler? Scheduler { get; set; }

        public ReminderOutbox? Outbox { get; set; }

        /// <summary>The state store as this activation reads and saves through it (<see cref="ActivationStore"/>).</summary>
        public IActorStateStore? Store { get; set; }

        /// <summary>A call to daprd for this actor failed or timed out: not trusted past the turn that saw it.</summary>
        public bool SidecarFailed { get; set; }

        /// <summary>The generation daprd held when this activation last read or saved state (<see cref="GenerationKey"/>).</summary>
        public string? Generation { get; set; }
    }

    /// <summary>
    /// Adds a new generation to every state transaction of one activation and remembers it once daprd took the transaction. A
    /// save that failed leaves the one remembered before: if daprd took it after all, the next turn sees another generation and
    /// reads state afresh.
    /// </summary>
    private sealed class GenerationStore(IActorStateStore inner, Activation activation) : IActorStateStore
    {
        public Task<byte[]?> LoadAsync(ActorId id, string key, CancellationToken cancellationToken) => inner.LoadAsync(id, key, cancellationToken);

        public async Task SaveAsync(ActorId id, TurnChanges changes, CancellationToken cancellationToken)
        {
            // No transaction goes to daprd without state changes (enlisted writes alone go to SQLite): nothing to number.
            if (changes.State.Count == 0)
            {
                await inner.SaveAsync(id, changes, cancellationToken).ConfigureAwait(false);
                return;
            }
            var generation = Guid.NewGuid().ToString("N");
            var numbered = changes with { State = [.. changes.State, new StateChange(GenerationKey, JsonSerializer.SerializeToUtf8Bytes(generation))] };
            await inner.SaveAsync(id, numbered, cancellationToken).ConfigureAwait(false);
            activation.Generation = generation;
        }
    }

    /// <summary>The state store as one activation uses it: a read or save daprd failed (or that timed out) marks the activation.</summary>
    private sealed class ActivationStore(IActorStateStore inner, Activation activation) : IActorStateStore
    {
        public async Task<byte[]?> LoadAsync(ActorId id, string key, CancellationToken cancellationToken)
        {
            try
            {
                return await inner.LoadAsync(id, key, cancellationToken).ConfigureAwait(false);
            }
            catch (DaprApiException)
            {
                activation.SidecarFailed = true;
                throw;
            }
        }

        public async Task SaveAsync(ActorId id, TurnChanges changes, CancellationToken cancellationToken)
        {
            try
            {
                await inner.SaveAsync(id, changes, cancellationToken).ConfigureAwait(false);
            }
            catch (DaprApiException)
            {
                activation.SidecarFailed = true;
                throw;
            }
        }
    }
}
