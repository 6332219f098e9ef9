namespace AgentCrm.Agents;

/// <summary>
/// A kind whose registration checks more than <see cref="IAgentKind.Create"/> does for a stored version: checks added after
/// versions were stored hold for new manifests only, so an upgrade never drops a version that ran before.
/// </summary>
public interface INewManifestCheck
{
    /// <summary>Throws <see cref="ManifestException"/> naming each problem of a manifest being registered.</summary>
    void CheckNew(AgentManifest manifest);
}
