using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AgentCrm.Agents;

namespace AgentCrm.Briefs;

/// <summary>
/// Writes a brief from an assessment with a deterministic template: a headline a CSM reads at a glance,
/// the reasons, and the agent's recommended next step. The id is derived from agent version, customer
/// and triggering event, so redelivery after a crash writes the same brief, never a second one.
/// </summary>
public sealed class BriefComposer(TimeProvider time)
{
    public Brief Compose(AgentVersionRecord agent, CustomerSnapshot snapshot, CustomerSnapshot seen, Assessment assessment, string triggerEventId)
    {
        var m = agent.Manifest;
        var name = snapshot.Text("profile.name") ?? snapshot.CustomerId;
        var title = Title(m.Scenario);
        var top = assessment.Reasons.Take(2).Select(r => r.Explanation).ToList();
        var score = assessment.Score.ToString("0.00", CultureInfo.InvariantCulture);
        var headline = top.Count == 0 ? $"{title} {score} for {name}" : $"{title} {score} for {name} — {string.Join(", ", top)}";

        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"{name} scored {score} on {m.Id} {m.Version} (threshold {m.Threshold.ToString("0.00", CultureInfo.InvariantCulture)}).");
        body.Append("\n\nWhy:\n");
        foreach (var r in assessment.Reasons)
            body.Append(CultureInfo.InvariantCulture, $"- {Capitalize(r.Explanation)} (weight {r.Weight.ToString("+0.00;-0.00", CultureInfo.InvariantCulture)})\n");
        if (!string.IsNullOrEmpty(assessment.NextStep))
            body.Append(CultureInfo.InvariantCulture, $"\nNext step: {assessment.NextStep}");

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
            Body = body.ToString().TrimEnd(),
            Reasons = assessment.Reasons,
            Status = m.VetoPolicy == VetoPolicy.ReviewBeforeDelivery ? BriefStatus.PendingReview : BriefStatus.Delivered,
            CreatedAt = time.GetUtcNow(),
            TriggerEventId = triggerEventId,
            AsOf = snapshot.AsOf,
            Inputs = seen.Fields.ToDictionary(f => f.Key, f => f.Value.Value, StringComparer.Ordinal),
        };
    }

    public static string BriefId(string agentId, string version, string customerId, string eventId) =>
        "brf_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{agentId}@{version}|{customerId}|{eventId}")))[..24];

    private static string Title(string scenario)
    {
        var words = scenario.Replace('-', ' ').Replace('_', ' ');
        return Capitalize(words);
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
