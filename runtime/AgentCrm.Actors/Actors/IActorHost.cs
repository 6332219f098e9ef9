namespace AgentCrm.Actors;

/// <summary>
/// The seam between our code and an actor runtime. Callers address actors by id; the host activates
/// them on demand (exactly one activation per id) and runs their turns one at a time.
/// </summary>
public interface IActorHost
{
    /// <summary>
    /// Sends one method call. The message is enqueued before this method returns (so calls made one
    /// after another to the same actor run in that order); the task completes when its turn has ended
    /// and the turn's state is durable.
    /// </summary>
    Task<object?> InvokeAsync(ActorId id, string method, object? argument, CancellationToken cancellationToken = default);
}
