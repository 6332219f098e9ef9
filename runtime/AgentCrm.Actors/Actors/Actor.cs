using System.Text.Json;

namespace AgentCrm.Actors;

/// <summary>
/// Base class of every virtual actor. A host (embedded or Dapr) creates one instance per activation,
/// calls <see cref="OnActivateAsync"/>, then runs one turn at a time: a method call, a reminder or a
/// timer. State changes made through <see cref="State"/> during a turn are saved atomically when the
/// turn ends; if the turn throws, they are discarded.
/// </summary>
public abstract class Actor
{
    private ActorContext? _context;

    public ActorId Id => Context.Id;

    protected IActorStateManager State => Context.State;

    protected IActorScheduler Scheduler => Context.Scheduler;

    private ActorContext Context => _context ?? throw new InvalidOperationException("The actor is not activated.");

    /// <summary>Called by a host before the first turn of an activation.</summary>
    public void Attach(ActorContext context) => _context = context;

    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual Task OnDeactivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One method turn. <paramref name="argument"/> is of the type <see cref="ActorTypeInfo"/> declares for the method.</summary>
    public abstract Task<object?> InvokeAsync(string method, object? argument, CancellationToken cancellationToken);

    public virtual Task ReceiveReminderAsync(string name, JsonElement? data, CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual Task ReceiveTimerAsync(string name, JsonElement? data, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>What a host hands an actor activation.</summary>
public sealed record ActorContext(ActorId Id, IActorStateManager State, IActorScheduler Scheduler);
