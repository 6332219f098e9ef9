using AgentCrm.Knowledge.Documents;

namespace AgentCrm.Briefs;

/// <summary>
/// Which knowledge documents a brief may cite: those filed under its agent's scenario (the <c>scenario</c> given when the
/// document was ingested). A document filed under none is searchable but never cited: a playbook for another scenario,
/// or a regulation near the words of a finding, is noise in a brief. The bundled documents are ingested without a
/// scenario, so what each was written for is stated here.
/// </summary>
public static class CitationScope
{
    /// <summary>The bundled documents (ids as a first start ingests them) and the scenario each serves; the GDPR text serves none.</summary>
    public static readonly IReadOnlyDictionary<string, string> Bundled = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["renewal-playbook"] = "renewal-risk",
        ["contract-terms-playbook"] = "compliance-check",
        ["tender-playbook"] = "tender-detection",
        ["18f-derisking-government-technology-federal-field-guide"] = "tender-detection",
    };

    public static string? ScenarioOf(KnowledgeDocument document) =>
        document.Scenario ?? (Bundled.TryGetValue(document.Id, out var scenario) ? scenario : null);

    /// <summary>The ids of the documents a brief of <paramref name="scenario"/> may cite.</summary>
    public static IReadOnlySet<string> DocumentsFor(string scenario, IEnumerable<KnowledgeDocument> documents) =>
        documents.Where(d => ScenarioOf(d) == scenario).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
}
