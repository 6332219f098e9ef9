using AgentCrm.Actors;
using AgentCrm.Storage;

namespace AgentCrm.Dapr;

/// <summary>
/// Actor state through daprd (sheet §3.3, §3.4): point reads, and each turn's changes as one transaction. The writes a
/// turn enlisted go to the application's database first (one group commit), so they are durable before the state that
/// records them; a turn repeated after a failed save runs them again, and they are written to be repeatable.
/// </summary>
internal sealed class DaprActorStateStore(DaprSidecarClient sidecar, SqliteWriter writer) : IActorStateStore
{
    public Task<byte[]?> LoadAsync(ActorId id, string key, CancellationToken cancellationToken) => sidecar.GetStateAsync(id, key, cancellationToken);

    public async Task SaveAsync(ActorId id, TurnChanges changes, CancellationToken cancellationToken)
    {
        if (changes.Writes.Count > 0)
            await writer.WriteAsync(ctx =>
            {
                foreach (var write in changes.Writes)
                    write(ctx);
            }).WaitAsync(cancellationToken).ConfigureAwait(false);
        await sidecar.SaveStateAsync(id, changes.State, cancellationToken).ConfigureAwait(false);
    }
}
