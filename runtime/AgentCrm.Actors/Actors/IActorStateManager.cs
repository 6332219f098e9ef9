using System.Text.Json.Serialization.Metadata;
using AgentCrm.Storage;

namespace AgentCrm.Actors;

/// <summary>
/// Key/value state of one actor (Dapr's model). Values are cached per activation after the first read.
/// Mutating a value object does not mark it dirty: call <see cref="Set{T}(string, T)"/> again. Keys starting with
/// <c>agentcrm.</c> are the host's (the Dapr host keeps a turn's reminder calls under one): setting or removing one throws.
/// </summary>
public interface IActorStateManager
{
    ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>Reads the stored JSON with <paramref name="typeInfo"/> (source-generated metadata, say) instead of reflection.</summary>
    ValueTask<T?> GetAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    void Set<T>(string key, T value);

    /// <summary>
    /// The turn's save writes the value with <paramref name="typeInfo"/> instead of reflection (a source-generated context's
    /// fast path costs less CPU per save); it must write what the Web defaults would, for the key's readers.
    /// </summary>
    void Set<T>(string key, T value, JsonTypeInfo<T> typeInfo);

    void Remove(string key);

    /// <summary>
    /// A write to the application's database that is durable exactly when this turn's state is: it runs when the turn's
    /// state is saved (embedded host: in the same transaction; Dapr host: committed just before the state goes to daprd)
    /// and not at all when the turn fails. A turn that writes a record and saves its state so waits for one commit, not two.
    /// </summary>
    void Enlist(Action<WriteContext> write);

    /// <summary>
    /// Runs <paramref name="action"/> in the process once this turn's state is saved (embedded host: after its commit; Dapr
    /// host: after daprd accepted its state transaction; a turn that changed nothing counts as saved), before its caller hears
    /// back and before the actor's next turn. Dropped when the turn or its save fails, and with each run of a turn that is run
    /// again (<see cref="TurnConflictException"/>). For what the process keeps in memory about a turn (metrics, health
    /// counts), so a turn counts once, as saved; it adds no write. An action that throws is logged; the turn stays saved.
    /// </summary>
    void OnSaved(Action action);
}
