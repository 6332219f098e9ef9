namespace AgentCrm.Actors;

/// <summary>One message in an activation's mailbox; the activation runs it as a turn.</summary>
internal abstract class ActorWorkItem
{
    /// <summary>The caller's token: a call cancelled before its turn starts is skipped.</summary>
    public virtual CancellationToken CancellationToken => CancellationToken.None;

    /// <summary>Calls and reminders keep an actor from idling out; timer ticks do not, or a periodic timer would keep it forever.</summary>
    public virtual bool IsActivity => true;

    /// <summary>Whether a failure reaches someone who reports it; otherwise the activation logs it.</summary>
    public virtual bool CallerSeesFailure => false;

    public abstract Task<object?> RunAsync(ActorActivation activation, CancellationToken cancellationToken);

    /// <summary>Runs after the turn's state is durable and before the next turn starts.</summary>
    public virtual Task CommitAsync(ActorActivation activation) => Task.CompletedTask;

    public abstract void Complete(object? result);

    public abstract void Fail(Exception exception);
}
