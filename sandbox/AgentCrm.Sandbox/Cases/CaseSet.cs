namespace AgentCrm.Sandbox.Cases;

/// <summary>A named, content-hashed set of labeled cases, loaded whole or not at all.</summary>
/// <param name="Name">The set's name (the mapping's <c>name</c> for tabular sets).</param>
/// <param name="Hash"><c>sha256:</c> + hex over the source files' bytes (see <see cref="CaseSetHash"/>).</param>
/// <param name="Cases">The cases, in file order.</param>
/// <param name="Kind"><see cref="CaseSetKinds.Tabular"/> or <see cref="CaseSetKinds.Timeline"/>.</param>
public sealed record CaseSet(string Name, string Hash, IReadOnlyList<Case> Cases, string Kind)
{
    /// <summary>The scenario the labels belong to (the mapping's <c>scenario</c>), when known.</summary>
    public string? Scenario { get; init; }

    public int Positives => Cases.Count(c => c.Label);
}

public static class CaseSetKinds
{
    public const string Tabular = "tabular";
    public const string Timeline = "timeline";
}
