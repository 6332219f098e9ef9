namespace AgentCrm.Agents;

/// <summary>A kind that holds resources per version (plugin load contexts); told after each registry change which versions still count.</summary>
public interface IRetainingKind
{
    /// <summary>Releases whatever no manifest in <paramref name="inUse"/> (every version not retired) needs.</summary>
    void Retain(IEnumerable<AgentManifest> inUse);
}
