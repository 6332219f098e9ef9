using System.Reflection;
using System.Runtime.Loader;

namespace AgentCrm.Agents.Plugins;

/// <summary>
/// A collectible context for one plugin assembly. It resolves nothing itself: the agent contract and
/// the framework come from the default context, so the plugin's <see cref="IAgentKind"/> is the
/// server's type and the context can be unloaded when its version is retired.
/// </summary>
internal sealed class PluginLoadContext(string hash) : AssemblyLoadContext($"plugin:{hash}", isCollectible: true)
{
    public string Hash { get; } = hash;

    protected override Assembly? Load(AssemblyName assemblyName) => null;
}
