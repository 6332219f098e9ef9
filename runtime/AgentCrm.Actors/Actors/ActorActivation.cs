using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Actors;

/// <summary>
/// One activation of one actor: a mailbox drained by a single async loop, so turns never interleave.
/// Lifecycle: created on the first message, activated before the first turn, closed (idle, explicit or
/// shutdown), drained, deactivated, removed. A successor created while this one closes waits for
/// <see cref="Completion"/> before activating: never two live activations of one id.
/// </summary>
internal sealed class ActorActivation
{
    private readonly Channel<ActorWorkItem> _mailbox = Channel.CreateUnbounded<ActorWorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly EmbeddedActorHost _host;
    private ActorActivation? _predecessor;
    private int _started;
    private bool _closing;
    private int _pending;
    private DateTimeOffset _lastActivity;
    private Actor? _actor;
    private ActorStateManager? _state;
    private ActivationScheduler? _scheduler;
    private ActivationTimers? _timers;

    public ActorActivation(ActorId id, ActorTypeInfo type, EmbeddedActorHost host, ActorActivation? predecessor)
    {
        Id = id;
        Type = type;
        _host = host;
        _predecessor = predecessor;
        _lastActivity = host.Time.GetUtcNow();
    }

    public ActorId Id { get; }

    public ActorTypeInfo Type { get; }

    public Actor Actor => _actor ?? throw new InvalidOperationException($"{Id} is not activated.");

    public ActorStateManager State => _state ?? throw new InvalidOperationException($"{Id} is not activated.");

    public ActivationScheduler Scheduler => _scheduler ?? throw new InvalidOperationException($"{Id} is not activated.");

    public ActivationTimers Timers => _timers ?? throw new InvalidOperationException($"{Id} is not activated.");

    /// <summary>Completes once the activation is deactivated and removed from the host.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Queues a message; false once the activation is closing (the caller then needs a successor).</summary>
    public bool TryEnqueue(ActorWorkItem item)
    {
        lock (_gate)
        {
            if (_closing)
                return false;
            _pending++;
            _mailbox.Writer.TryWrite(item);
            return true;
        }
    }

    /// <summary>When its last call or reminder ended (its creation before that).</summary>
    public DateTimeOffset LastActivity
    {
        get
        {
            lock (_gate)
                return _lastActivity;
        }
    }

    /// <summary>Closes the activation if nothing is queued or running and it has been idle for <paramref name="idleTimeout"/>.</summary>
    public bool TryCloseIfIdle(DateTimeOffset now, TimeSpan idleTimeout)
    {
        lock (_gate)
        {
            if (_closing || _pending > 0 || now - _lastActivity < idleTimeout)
                return false;
            CloseLocked();
            return true;
        }
    }

    /// <summary>Stops accepting messages; those already queued still run, then the actor deactivates.</summary>
    public void Close()
    {
        lock (_gate)
        {
            if (!_closing)
                CloseLocked();
        }
    }

    public void EnsureStarted()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
            _ = Task.Run(RunAsync);
    }

    private void CloseLocked()
    {
        _closing = true;
        _mailbox.Writer.TryComplete();
    }

    private async Task RunAsync()
    {
        try
        {
            if (_predecessor is { } predecessor)
            {
                await predecessor.Completion.ConfigureAwait(false);
                _predecessor = null;
            }
            var reader = _mailbox.Reader;
            // Closed before any message arrived: nothing to activate.
            if (await reader.WaitToReadAsync().ConfigureAwait(false) && await TryActivateAsync().ConfigureAwait(false))
            {
                while (await reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    while (reader.TryRead(out var item))
                    {
                        var (result, error) = await RunTurnAsync(item).ConfigureAwait(false);
                        // Book-keeping before the caller hears back, so what it does next sees the actor idle since now.
                        lock (_gate)
                        {
                            _pending--;
                            if (item.IsActivity)
                                _lastActivity = _host.Time.GetUtcNow();
                        }
                        if (error is null)
                            item.Complete(result);
                        else
                            item.Fail(error);
                    }
                }
                await DeactivateAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            ActorLog.MailboxLoopFailed(_host.Logger, ex, Id);
        }
        finally
        {
            _host.Remove(this);
            _completion.TrySetResult();
        }
    }

    private async Task<bool> TryActivateAsync()
    {
        _state = new ActorStateManager(Id, _host.Store);
        _timers = new ActivationTimers(this, _host.Time);
        _scheduler = new ActivationScheduler(this, _host.Reminders);
        try
        {
            _actor = (Actor)ActivatorUtilities.CreateInstance(_host.Services, Type.ClrType);
            _actor.Attach(new ActorContext(Id, _state, _scheduler));
            await _actor.OnActivateAsync(_host.AbortToken).ConfigureAwait(false);
            var changes = _state.TakeChanges();
            if (!changes.IsEmpty)
                await _host.Store.SaveAsync(Id, changes, CancellationToken.None).ConfigureAwait(false);
            _state.Saved(_host.Logger);
        }
        catch (Exception ex)
        {
            ActorLog.ActivationFailed(_host.Logger, ex, Id);
            Close();
            _timers.Dispose();
            await DisposeActorAsync().ConfigureAwait(false);
            while (_mailbox.Reader.TryRead(out var item))
                item.Fail(ex);
            return false;
        }
        _host.OnActivated();
        return true;
    }

    /// <summary>Runs one turn and saves its state; the outcome is reported to the item by the caller.</summary>
    private async Task<(object? Result, Exception? Error)> RunTurnAsync(ActorWorkItem item)
    {
        var callerToken = item.CancellationToken;
        if (callerToken.IsCancellationRequested)
            return (null, new OperationCanceledException(callerToken));
        using var linked = callerToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(callerToken, _host.AbortToken) : null;
        var state = _state!;
        _host.OnTurnRun();
        object? result;
        for (var attempt = 1; ; attempt++)
        {
            TurnChanges changes;
            try
            {
                result = await item.RunAsync(this, linked?.Token ?? _host.AbortToken).ConfigureAwait(false);
                changes = state.TakeChanges();
            }
            catch (Exception ex)
            {
                state.DiscardChanges();
                return Failed(item, ex);
            }
            try
            {
                if (!changes.IsEmpty)
                    await _host.Store.SaveAsync(Id, changes, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TurnConflictException) when (attempt < TurnConflictException.MaxAttempts)
            {
                // Nothing was saved: run the turn again on the state as saved (values were changed in place, so all are dropped).
                state.DiscardChanges();
                await Task.Delay(TurnConflictException.Backoff(attempt)).ConfigureAwait(false);
                continue;
            }
            catch (Exception ex)
            {
                state.Forget(changes);
                return Failed(item, ex);
            }
            // Saved: what this run counted in memory is counted now, once (the runs discarded above dropped theirs).
            state.Saved(_host.Logger);
            break;
        }
        try
        {
            await item.CommitAsync(this).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return Failed(item, ex);
        }
        return (result, null);
    }

    private (object?, Exception?) Failed(ActorWorkItem item, Exception ex)
    {
        if (!item.CallerSeesFailure)
            ActorLog.TurnFailed(_host.Logger, ex, Id, item.ToString()!);
        return (null, ex);
    }

    private async Task DeactivateAsync()
    {
        Timers.Dispose();
        try
        {
            await Actor.OnDeactivateAsync(_host.AbortToken).ConfigureAwait(false);
            var changes = _state!.TakeChanges();
            if (!changes.IsEmpty)
                await _host.Store.SaveAsync(Id, changes, CancellationToken.None).ConfigureAwait(false);
            _state.Saved(_host.Logger);
        }
        catch (Exception ex)
        {
            ActorLog.DeactivationFailed(_host.Logger, ex, Id);
        }
        await DisposeActorAsync().ConfigureAwait(false);
        _host.OnDeactivated();
    }

    private async ValueTask DisposeActorAsync()
    {
        try
        {
            if (_actor is IAsyncDisposable asyncDisposable)
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            else if (_actor is IDisposable disposable)
                disposable.Dispose();
        }
        catch (Exception ex)
        {
            ActorLog.DeactivationFailed(_host.Logger, ex, Id);
        }
    }
}
