namespace AgentCrm.Actors;

/// <summary>
/// Key/value state of one actor (Dapr's model). Values are cached per activation after the first read.
/// Mutating a value object does not mark it dirty: call <see cref="Set{T}"/> again.
/// </summary>
public interface IActorStateManager
{
    ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default);

    void Set<T>(string key, T value);

    void Remove(string key);
}
