using System.Reflection;

namespace AgentCrm.Agents.Plugins;

/// <summary>
/// Which versions of <c>AgentCrm.Agents.Contract</c> a plugin may be built against: the server's major version, at a minor
/// version no newer than the server's. The default context resolves the contract by name whatever version a plugin
/// references, so a plugin built against another major (or a newer minor) loaded and then failed on every call
/// (TypeLoadException, MissingMethodException) where the contracts differ; it is refused at upload instead.
/// </summary>
internal static class PluginContract
{
    /// <summary>The contract this server has.</summary>
    public static AssemblyName Server { get; } = typeof(IAgentKind).Assembly.GetName();

    /// <summary>Why the reference to the contract among <paramref name="references"/> (of <paramref name="assembly"/>) cannot be served here, or null (no reference, or a compatible one).</summary>
    public static string? Mismatch(AssemblyName assembly, IEnumerable<AssemblyName> references)
    {
        var reference = references.FirstOrDefault(r => string.Equals(r.Name, Server.Name, StringComparison.OrdinalIgnoreCase));
        if (reference?.Version is not { } referenced || Server.Version is not { } server)
            return null;
        if (referenced.Major == server.Major && referenced.Minor <= server.Minor)
            return null;
        return $"{assembly.Name} references {Server.Name} {referenced}; this server has {Server.Name} {server}. "
            + $"A plugin must be built against contract {server.Major}.x at a minor version up to {server.Major}.{server.Minor} "
            + "(the same major version: a plugin built against another one fails on every call where the contracts differ).";
    }
}
