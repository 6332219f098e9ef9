using AgentCrm.Storage;

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

    /// <summary>
    /// A write to the application's database that is durable exactly when this turn's state is: it runs when the turn's
    /// state is saved (embedded host: in the same transaction; Dapr host: committed just before the state goes to daprd)
    /// and not at all when the turn fails. A turn that writes a record and saves its state so waits for one commit, not two.
    /// </summary>
    void Enlist(Action<WriteContext> write);
}
