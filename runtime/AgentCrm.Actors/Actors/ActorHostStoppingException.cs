namespace AgentCrm.Actors;

/// <summary>Thrown by a call made after the host began shutting down: the call was not enqueued.</summary>
public sealed class ActorHostStoppingException : InvalidOperationException
{
    public ActorHostStoppingException()
        : base("The actor host is stopping and accepts no new calls.")
    {
    }

    public ActorHostStoppingException(ActorId id)
        : base($"The actor host is stopping and accepts no new calls; {id} was not called.")
    {
        Actor = id;
    }

    public ActorId? Actor { get; }
}
