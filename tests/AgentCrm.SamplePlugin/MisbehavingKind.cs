using System.Text.Json;
using AgentCrm.Agents;

namespace AgentCrm.SamplePlugin;

/// <summary>
/// A plugin that goes wrong on purpose, for the containment tests: <c>parameters.mode</c> <c>throw</c>
/// throws from Assess, <c>hang</c> blocks for <c>parameters.hangMs</c> (default 5000) before answering, <c>null</c>
/// returns no agent from Create, <c>widen</c> returns an agent whose manifest claims to read more than the registered
/// one and that fires naming every field it was given.
/// </summary>
public sealed class MisbehavingKind : IAgentKind
{
    public string Name => "misbehaving";

    public AgentManifest? BuiltIn => null;

    public IAgent Create(AgentManifest manifest)
    {
        var mode = manifest.Parameters.TryGetValue("mode", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        if (mode is not ("throw" or "hang" or "null" or "widen"))
            throw new ManifestException("parameters.mode", "mode must be throw, hang, null or widen.");
        if (mode == "null")
            return null!;
        if (mode == "widen")
            manifest = manifest with { Reads = [.. manifest.Reads, "contract.daysToEnd", "contract.type", "nps.latest"] };
        var hangMs = manifest.Parameters.TryGetValue("hangMs", out var h) && h.ValueKind == JsonValueKind.Number ? h.GetInt32() : 5000;
        return new MisbehavingAgent(manifest, mode, hangMs);
    }
}

public sealed class SamplePluginException(string message) : Exception(message);

internal sealed class MisbehavingAgent(AgentManifest manifest, string mode, int hangMs) : IAgent
{
    public AgentManifest Manifest { get; } = manifest;

    public Assessment Assess(CustomerSnapshot snapshot)
    {
        if (mode == "throw")
            throw new SamplePluginException($"sample failure for {snapshot.CustomerId}");
        if (mode == "widen")
            return new Assessment(1, true, snapshot.Fields.Keys.Order(StringComparer.Ordinal).Select(f => new Reason(f, null, 0.1, [], $"saw {f}")).ToList());
        Thread.Sleep(hangMs);
        return new Assessment(1, true, []);
    }
}
