namespace AgentCrm.Agents;

/// <summary>
/// A scenario agent version. <see cref="Assess"/> must be pure and deterministic for a given snapshot:
/// no I/O, no clock, no randomness. The runtime bounds its time.
/// </summary>
public interface IAgent
{
    /// <summary>The manifest this instance was created from.</summary>
    AgentManifest Manifest { get; }

    /// <summary>Scores one customer snapshot.</summary>
    Assessment Assess(CustomerSnapshot snapshot);
}

/// <summary>A kind of agent (e.g. <c>renewal-risk</c>): validates manifests and creates agents from them.</summary>
public interface IAgentKind
{
    /// <summary>The kind name manifests refer to.</summary>
    string Name { get; }

    /// <summary>The manifest registered and activated on first start, if this kind ships one.</summary>
    AgentManifest? BuiltIn { get; }

    /// <summary>Creates an agent; throws <see cref="ManifestException"/> naming each bad parameter.</summary>
    IAgent Create(AgentManifest manifest);
}

/// <summary>A manifest that cannot be used, with every problem keyed by its JSON path.</summary>
public sealed class ManifestException : Exception
{
    /// <summary>Creates the exception from path → message pairs.</summary>
    public ManifestException(IReadOnlyDictionary<string, string[]> errors)
        : base(string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))) => Errors = errors;

    /// <summary>Creates the exception for one path.</summary>
    public ManifestException(string path, string message)
        : this(new Dictionary<string, string[]> { [path] = [message] })
    {
    }

    /// <summary>Problems by JSON path (e.g. <c>parameters.weights.usageDecline</c>).</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }
}
