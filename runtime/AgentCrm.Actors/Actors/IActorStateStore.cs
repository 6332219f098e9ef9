using AgentCrm.Storage;

namespace AgentCrm.Actors;

/// <summary>
/// One change of a turn: a new JSON value for a key, or its removal (<see cref="Value"/> null). The bytes may be a rented
/// buffer the turn's state manager takes back once the save has completed: a store that keeps them past
/// <see cref="IActorStateStore.SaveAsync"/> copies them.
/// </summary>
public readonly record struct StateChange(string Key, ReadOnlyMemory<byte>? Value);

/// <summary>What one turn leaves to save: its state changes and the database writes it enlisted (<see cref="IActorStateManager.Enlist"/>).</summary>
public sealed record TurnChanges(IReadOnlyList<StateChange> State, IReadOnlyList<Action<WriteContext>> Writes)
{
    public static readonly TurnChanges None = new([], []);

    public bool IsEmpty => State.Count == 0 && Writes.Count == 0;
}

/// <summary>Where actor state lives: SQLite (embedded) or daprd's actor state API.</summary>
public interface IActorStateStore
{
    /// <summary>The stored JSON bytes of a key, or null when absent.</summary>
    Task<byte[]?> LoadAsync(ActorId id, string key, CancellationToken cancellationToken);

    /// <summary>
    /// Saves one turn's state changes atomically, with its enlisted writes committed no later; completes when durable. The
    /// changes' bytes are valid until the returned task completes, not after.
    /// </summary>
    Task SaveAsync(ActorId id, TurnChanges changes, CancellationToken cancellationToken);
}
