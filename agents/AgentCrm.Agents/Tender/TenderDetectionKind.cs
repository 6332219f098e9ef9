using System.Text.Json;
using AgentCrm.Agents.Compliance;

namespace AgentCrm.Agents.Tender;

/// <summary>
/// The built-in <c>tender-detection</c> kind. Its built-in version carries the notice model fitted on the
/// Canadian tender notices (<c>agentcrm agents fit tender-detection --cases canada-tenders</c>), shipped as an
/// embedded resource.
/// </summary>
public sealed class TenderDetectionKind : IAgentKind
{
    public const string KindName = "tender-detection";

    /// <summary>The manifest a fit derives from: everything but the model.</summary>
    public static AgentManifest Template { get; } = new AgentManifest
    {
        Id = "tender-detection",
        // 1.0.1: the built-in's content changed after 1.0.0 shipped (document subscribed, new reads, rescoreRise); a version's
        // content never changes, and an upgraded directory gets this one registered beside its 1.0.0 (AgentRegistry).
        Version = "1.0.1",
        Kind = KindName,
        Scenario = "tender-detection",
        Description = "Procurement notices for our product category from customers, and buying-intent web bursts above the customer's baseline.",
        // A notice comes as news or as a document (an RFP filed with the customer; the timeline files it among the notices).
        Subscribes = ["news", "document", "web_visit", "profile"],
        Reads = [.. TenderAgent.NoticeFields, "news.date", "news.daysSince", .. Customers.WebBaseline.Fields],
        // The customer's name, to tell a notice from another buyer filed under this customer; without it the check is skipped.
        OptionalReads = [TenderAgent.CustomerNameField],
        Purpose = "customer-success",
        Threshold = 0.5,
        CooldownDays = 14,
        VetoPolicy = VetoPolicy.DeliverThenVeto,
        KnowledgeQuery = "procurement notice tender bid what to prepare",
        // A web burst's score climbs with each visit while it lasts (0.33, 0.58, 0.73, 0.89 over two days: four briefs at the
        // default +0.15). It briefs once, and again within the cooldown only when it has become plainly stronger: +0.5, so a
        // brief from just over the threshold is followed by one at about 0.8 or more, and one at 0.5 or more by none.
        Parameters = new Dictionary<string, JsonElement>(StringComparer.Ordinal) { ["rescoreRise"] = JsonSerializer.SerializeToElement(0.5) },
    };

    private static readonly Lazy<AgentManifest> Shipped = new(() => BuiltInManifests.Load("tender-detection.json", Template));

    public string Name => KindName;

    public AgentManifest BuiltIn => Shipped.Value;

    public IAgent Create(AgentManifest manifest) => new TenderAgent(manifest, TenderParameters.From(manifest.Parameters));
}
