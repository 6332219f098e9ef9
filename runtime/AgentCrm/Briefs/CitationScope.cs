using AgentCrm.Knowledge.Documents;

namespace AgentCrm.Briefs;

/// <summary>
/// Which knowledge documents a brief may cite. A document filed under a scenario (the <c>scenario</c> given when it was
/// ingested) only by that scenario's agents; a bundled one only by the scenario it was written for (the GDPR text by
/// none: a regulation near the words of a finding is noise in a brief); a document filed under none by every agent, as
/// before scenarios limited citations, so an operator's own library keeps being cited after an upgrade.
/// </summary>
public static class CitationScope
{
    /// <summary>The bundled documents (ids as a first start ingests them) and the scenario each serves; empty: none.</summary>
    public static readonly IReadOnlyDictionary<string, string> Bundled = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["renewal-playbook"] = "renewal-risk",
        ["contract-terms-playbook"] = "compliance-check",
        ["tender-playbook"] = "tender-detection",
        ["18f-derisking-government-technology-federal-field-guide"] = "tender-detection",
        ["gdpr-regulation-eu-2016-679-en"] = "",
    };

    public static bool MayCite(KnowledgeDocument document, string scenario) =>
        document.Scenario is { } filed ? filed == scenario
        : Bundled.TryGetValue(document.Id, out var bundled) ? bundled == scenario
        : true;

    /// <summary>The ids of the documents a brief of <paramref name="scenario"/> may cite.</summary>
    public static IReadOnlySet<string> DocumentsFor(string scenario, IEnumerable<KnowledgeDocument> documents) =>
        documents.Where(d => MayCite(d, scenario)).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
}
