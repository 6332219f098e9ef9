using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AgentCrm.Agents;
using AgentCrm.Agents.Text;
using AgentCrm.Customers;
using AgentCrm.Knowledge;
using AgentCrm.Knowledge.Chat;

namespace AgentCrm.Briefs;

/// <summary>
/// Writes a brief from an assessment: citations from the knowledge store, then the text — by the
/// configured chat model from the evidence only (checked: no number that is not in the evidence), or by
/// the deterministic template when no model is configured or the model fails (then marked degraded).
/// The id is derived from agent version, customer and triggering event, so redelivery after a crash
/// writes the same brief, never a second one.
/// </summary>
public sealed class BriefComposer(TimeProvider time, BriefCitations citations, GroundedBriefWriter? writer = null)
{
    /// <summary>Degraded briefs and citation failures are counted in <paramref name="counts"/>, the turn's (counted if it is saved).</summary>
    public async Task<Brief> ComposeAsync(AgentVersionRecord agent, CustomerSnapshot snapshot, CustomerSnapshot seen, Assessment assessment, string triggerEventId, TurnMetrics counts, CancellationToken cancellationToken)
    {
        var m = agent.Manifest;
        var now = time.GetUtcNow();
        var name = snapshot.Text("profile.name") ?? snapshot.CustomerId;
        var (cited, citationsFailed) = await citations.FindAsync(m, assessment, counts, cancellationToken);
        var (headline, body) = Template(m, name, assessment, cited, citationsFailed);
        var degraded = false;
        if (writer is not null)
        {
            var written = await writer.WriteAsync(new Knowledge.Chat.BriefEvidence(name, m.Scenario, assessment.Score, m.Threshold,
                assessment.Reasons.Select(r => (r.Field, r.Value, r.Explanation)).ToList(), assessment.NextStep,
                cited.Select(c => (c.Title, c.Section, c.Snippet)).ToList()), cancellationToken);
            if (written is null)
            {
                degraded = true;
                counts.DegradedBrief(m.Id, m.Version);
            }
            else
                (headline, body) = (written.Headline, written.Body + Sources(cited, citationsFailed));
        }

        return new Brief
        {
            Id = BriefId(m.Id, m.Version, snapshot.CustomerId, triggerEventId),
            CustomerId = snapshot.CustomerId,
            CustomerName = snapshot.Text("profile.name"),
            AgentId = m.Id,
            AgentVersion = m.Version,
            ContentHash = agent.ContentHash,
            Scenario = m.Scenario,
            Score = assessment.Score,
            Threshold = m.Threshold,
            Headline = headline,
            Body = body,
            Reasons = assessment.Reasons,
            Citations = cited,
            CitationsFailed = citationsFailed,
            Status = m.VetoPolicy == VetoPolicy.ReviewBeforeDelivery ? BriefStatus.PendingReview : BriefStatus.Delivered,
            CreatedAt = now,
            ReviewUntil = m.VetoPolicy == VetoPolicy.DeliverThenVeto ? now.AddHours(m.VetoWindowHours) : null,
            Degraded = degraded,
            TriggerEventId = triggerEventId,
            AsOf = snapshot.AsOf,
            Inputs = seen.Fields.ToDictionary(f => f.Key, f => f.Value.Value, StringComparer.Ordinal),
        };
    }

    /// <summary>The deterministic text of a brief; <see cref="BriefNaming"/> renders it again with the customer's id for a brief read without the name.</summary>
    internal static (string Headline, string Body) Template(AgentManifest m, string name, Assessment assessment, IReadOnlyList<Citation> cited, bool citationsFailed = false)
    {
        var title = Capitalize(m.Scenario.Replace('-', ' ').Replace('_', ' '));
        var top = assessment.Reasons.Take(2).Select(r => r.Explanation).ToList();
        var score = assessment.Score.ToString("0.00", CultureInfo.InvariantCulture);
        var headline = ShortText.Cut(assessment.Headline.Length > 0 ? assessment.Headline
            : top.Count == 0 ? $"{title} {score} for {name}" : $"{title} {score} for {name} — {string.Join(", ", top)}", MaxHeadline);

        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"{name} scored {score} on {m.Id} {m.Version} (threshold {m.Threshold.ToString("0.00", CultureInfo.InvariantCulture)}).");
        body.Append("\n\nWhy:\n");
        foreach (var r in assessment.Reasons)
            body.Append(CultureInfo.InvariantCulture, $"- {Capitalize(r.Explanation)} (weight {r.Weight.ToString("+0.00;-0.00", CultureInfo.InvariantCulture)})\n");
        if (!string.IsNullOrEmpty(assessment.NextStep))
            body.Append(CultureInfo.InvariantCulture, $"{NextStepMark}{assessment.NextStep}");
        return (headline, body.ToString().TrimEnd() + Sources(cited, citationsFailed));
    }

    /// <summary>
    /// The longest headline the template writes, the agent's own or the scenario, score, customer and first two reasons (the
    /// longest a chat model's may be): lists, the console, webhooks and Slack show it whole, and the body has every reason.
    /// </summary>
    public const int MaxHeadline = 300;

    /// <summary>What comes before the next step in a template body (after the reasons' lines).</summary>
    internal const string NextStepMark = "\nNext step: ";

    /// <summary>The sources line: the citations, or why there are none — nothing matched, or the knowledge could not be searched.</summary>
    internal static string Sources(IReadOnlyList<Citation> cited, bool citationsFailed) => cited.Count == 0
        ? citationsFailed
            ? "\n\nSources: none — the knowledge store could not be searched when this brief was written, so no playbook or regulation section was checked."
            : "\n\nSources: no playbook or regulation section matched this finding closely enough to cite."
        : "\n\nSources:\n" + string.Join("\n", cited.Select(c => $"- {c.Title} › {c.Section}"));

    public static string BriefId(string agentId, string version, string customerId, string eventId) =>
        "brf_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{agentId}@{version}|{customerId}|{eventId}")))[..24];

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
