using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Server;

/// <summary>
/// A customer event as <c>POST /v1/events</c> takes it (documentation only: intake reads events itself, EventParser):
/// these fields and no other, named exactly so. A repeated id with the same content is a duplicate (counted, not stored
/// again); with other content, 409.
/// </summary>
internal sealed class Event
{
    /// <summary>The event's id, unique per source: at most 200 characters, no control characters.</summary>
    [MaxLength(EventIds.MaxLength)]
    public required string Id { get; init; }

    /// <summary>The customer it is about: at most 200 characters, no control characters.</summary>
    [MaxLength(EventIds.MaxLength)]
    public required string CustomerId { get; init; }

    /// <summary>What happened; its attributes depend on it.</summary>
    [OpenApiValues(typeof(EventTypes), nameof(EventTypes.All))]
    public required string Type { get; init; }

    /// <summary>When it happened: ISO 8601 with a time zone, not before Intake:Earliest nor more than Intake:MaxFutureSkew ahead of the server clock.</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>The system it came from (ids are unique per source); at most 200 characters.</summary>
    [MaxLength(EventIds.MaxLength)]
    public string? Source { get; init; }

    /// <summary>The event's facts, by name (each type's known attributes are checked: README, "Events").</summary>
    public Dictionary<string, JsonElement>? Attributes { get; init; }
}
