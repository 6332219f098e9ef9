using System.Text.Json;

namespace AgentCrm.Agents.Compliance;

/// <summary>
/// The built-in <c>compliance-check</c> kind. Its built-in version carries the unfair-clause model fitted on the
/// CLAUDETTE terms-of-service sentences (<c>agentcrm agents fit compliance-check --cases claudette-tos</c>),
/// shipped as an embedded resource.
/// </summary>
public sealed class ComplianceCheckKind : IAgentKind
{
    public const string KindName = "compliance-check";

    /// <summary>The manifest a fit derives from: everything but the model.</summary>
    public static AgentManifest Template { get; } = new AgentManifest
    {
        Id = "compliance-check",
        Version = "1.0.0",
        Kind = KindName,
        Scenario = "compliance-check",
        Description = "Potentially unfair clauses in customer-facing terms and contracts, quoted by category.",
        Subscribes = ["document"],
        Reads = [ComplianceAgent.TextField, "documents.docType", "documents.title"],
        Purpose = "customer-success",
        Threshold = 0.5,
        CooldownDays = 30,
        VetoPolicy = VetoPolicy.DeliverThenVeto,
        KnowledgeQuery = "unfair contract terms clause fix playbook",
    };

    private static readonly Lazy<AgentManifest> Shipped = new(() => BuiltInManifests.Load("compliance-check.json", Template));

    public string Name => KindName;

    public AgentManifest BuiltIn => Shipped.Value;

    public IAgent Create(AgentManifest manifest)
    {
        if (!manifest.Reads.Contains(ComplianceAgent.TextField, StringComparer.Ordinal))
            throw new ManifestException("reads", $"must include {ComplianceAgent.TextField} (the document text the agent checks).");
        return new ComplianceAgent(manifest, ComplianceParameters.From(manifest.Parameters));
    }
}

/// <summary>Fitted built-in versions ship as embedded JSON: a manifest written by <c>agents fit … --out FILE</c>, of which its
/// <c>threshold</c>, <c>description</c> and <c>parameters</c> are laid over the kind's base manifest.</summary>
internal static class BuiltInManifests
{
    public static AgentManifest Load(string resource, AgentManifest baseManifest)
    {
        var assembly = typeof(BuiltInManifests).Assembly;
        var name = assembly.GetManifestResourceNames().SingleOrDefault(n => n.EndsWith("." + resource, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The built-in manifest {resource} is not embedded in {assembly.GetName().Name}.");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var doc = JsonDocument.Parse(stream);
        var root = doc.RootElement;
        return baseManifest with
        {
            Threshold = root.GetProperty("threshold").GetDouble(),
            Description = root.TryGetProperty("description", out var d) ? d.GetString() ?? baseManifest.Description : baseManifest.Description,
            Parameters = root.GetProperty("parameters").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal),
        };
    }
}
