namespace AgentCrm.Actors;

/// <summary>One change of a turn: a new JSON value for a key, or its removal (<see cref="Value"/> null).</summary>
public readonly record struct StateChange(string Key, byte[]? Value);

/// <summary>Where actor state lives: SQLite (embedded) or daprd's actor state API.</summary>
public interface IActorStateStore
{
    /// <summary>The stored JSON bytes of a key, or null when absent.</summary>
    Task<byte[]?> LoadAsync(ActorId id, string key, CancellationToken cancellationToken);

    /// <summary>Saves every change of one turn atomically; completes when durable.</summary>
    Task SaveAsync(ActorId id, IReadOnlyList<StateChange> changes, CancellationToken cancellationToken);
}
