using AgentCrm.Actors;

namespace AgentCrm.Dapr;

/// <summary>Actor state through daprd (sheet §3.3, §3.4): point reads, and each turn's changes as one transaction.</summary>
internal sealed class DaprActorStateStore(DaprSidecarClient sidecar) : IActorStateStore
{
    public Task<byte[]?> LoadAsync(ActorId id, string key, CancellationToken cancellationToken) => sidecar.GetStateAsync(id, key, cancellationToken);

    public Task SaveAsync(ActorId id, IReadOnlyList<StateChange> changes, CancellationToken cancellationToken) => sidecar.SaveStateAsync(id, changes, cancellationToken);
}
