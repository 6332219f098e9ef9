using System.Text.Json;
using AgentCrm.Agents;

namespace AgentCrm.SamplePlugin;

/// <summary>
/// A sample plugin kind, <c>ticket-surge</c>: fires when a customer has at least <c>parameters.minOpen</c>
/// open tickets (default 3), scoring higher the more of them are high priority.
/// </summary>
public sealed class TicketSurgeKind : IAgentKind
{
    public string Name => "ticket-surge";

    public AgentManifest? BuiltIn => null;

    public IAgent Create(AgentManifest manifest)
    {
        var minOpen = 3.0;
        if (manifest.Parameters.TryGetValue("minOpen", out var m))
        {
            if (m.ValueKind != JsonValueKind.Number || m.GetDouble() is < 1 or > 1000)
                throw new ManifestException("parameters.minOpen", "minOpen must be a number between 1 and 1000.");
            minOpen = m.GetDouble();
        }
        foreach (var field in new[] { "tickets.open", "tickets.openHighPriority" })
            if (!manifest.Reads.Contains(field))
                throw new ManifestException("reads", $"ticket-surge reads {field}; add it to reads.");
        return new TicketSurgeAgent(manifest, minOpen);
    }
}

internal sealed class TicketSurgeAgent(AgentManifest manifest, double minOpen) : IAgent
{
    public AgentManifest Manifest { get; } = manifest;

    public Assessment Assess(CustomerSnapshot snapshot)
    {
        var open = snapshot.Number("tickets.open") ?? 0;
        var high = snapshot.Number("tickets.openHighPriority") ?? 0;
        var score = Math.Min(1, 0.6 * open / minOpen + 0.2 * high / minOpen);
        var reasons = new List<Reason>();
        if (open > 0)
            reasons.Add(new Reason("tickets.open", open, 0.6 * open / minOpen, snapshot.EventIds("tickets.open"), $"{open} open tickets"));
        if (high > 0)
            reasons.Add(new Reason("tickets.openHighPriority", high, 0.2 * high / minOpen, snapshot.EventIds("tickets.openHighPriority"), $"{high} of them high priority"));
        return new Assessment(score, score >= Manifest.Threshold, reasons, "Call the customer's technical contact and agree a plan for the open tickets.");
    }
}
