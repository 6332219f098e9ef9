using AgentCrm.Access;
using AgentCrm.Agents;
using AgentCrm.Agents.Consent;
using AgentCrm.Customers;

namespace AgentCrm.Briefs;

/// <summary>
/// A brief as it may leave the server now: as the caller's role may read it (<see cref="BriefStore.AsSeenBy"/>), and
/// naming the customer only while the customer's consent for the agent's purpose covers identity. The consent is judged
/// when the brief is read or sent, not when it was written: a withdrawal takes the name and the other identity values out
/// of every brief already stored (GET, list, stream, webhooks, the customer view, evidence, review answers; a rules agent's
/// texts written again by its kind, <see cref="BriefNaming"/>), and granting identity again brings them back. The stored brief and the audit log stay as written. Consent is read from <see cref="ConsentStore"/>'s memory
/// and the purpose from the registry's, so a page costs a few dictionary reads; a brief the consent lets name the
/// customer is passed through as it is, and what a rules agent writes without identity is made once per brief and version
/// (<see cref="NamelessTexts"/>).
/// </summary>
public sealed class BriefDisclosure(ConsentStore consent, AgentRegistry registry, TimeProvider time)
{
    private readonly NamelessTexts _nameless = new();

    public Brief AsSeenBy(Brief brief, Caller caller) => AsConsented(BriefStore.AsSeenBy(brief, caller));

    /// <summary>A page as <see cref="BriefStore.Query"/> or <see cref="BriefStore.ReviewQueue"/> read it (the role's view applied there), as consent lets it out.</summary>
    public BriefPage AsConsented(BriefPage page) => page with { Items = [.. page.Items.Select(AsConsented)] };

    /// <summary>
    /// The brief as the customer's consent in force now lets it name them. A brief of a version this server does not know
    /// (no purpose to judge by) names the customer only under a grant for any purpose (<c>*</c>).
    /// </summary>
    public Brief AsConsented(Brief brief)
    {
        var manifest = registry.TryFind(brief.AgentId, brief.AgentVersion)?.Manifest;
        return consent.For(brief.CustomerId).Allows(manifest?.Purpose ?? ConsentGrant.Any, BriefNaming.NameField, time.GetUtcNow())
            ? brief
            : BriefNaming.Unnamed(brief, manifest, manifest is null ? null : registry.Kind(manifest.Kind) as ITextsFromFields, _nameless);
    }
}
