using System.Text.Json.Serialization;
using AgentCrm.Agents;

namespace AgentCrm.Briefs;

[JsonConverter(typeof(JsonStringEnumConverter<BriefStatus>))]
public enum BriefStatus
{
    [JsonStringEnumMemberName("pendingReview")] PendingReview,
    [JsonStringEnumMemberName("delivered")] Delivered,
    [JsonStringEnumMemberName("vetoed")] Vetoed,
    [JsonStringEnumMemberName("retracted")] Retracted,
    [JsonStringEnumMemberName("shadow")] Shadow,
}

/// <summary>
/// A reviewer's verdict on a brief. A CSM reads only the verdict, when, and its reason: <see cref="Reviewer"/>,
/// <see cref="Note"/> and <see cref="CorrectLabel"/> are null for them (<see cref="BriefStore.AsSeenBy"/>).
/// </summary>
public sealed record BriefReview([property: Server.OpenApiValues("vetoed", "approved")] string Verdict, string? Reviewer, DateTimeOffset At, string? Reason, string? Note, bool? CorrectLabel);

public sealed record Citation(string DocumentId, string Title, string Section, string ChunkId, double Score, string Snippet);

/// <summary>A brief for a CSM (API.md, "Briefs"), with what the evidence endpoint needs to justify it.</summary>
[Server.OpenApiAlwaysSent]
public sealed record Brief
{
    public required string Id { get; init; }
    public required string CustomerId { get; init; }
    /// <summary>
    /// The customer's name as the brief was written with it; null where the customer's consent for the agent's purpose does
    /// not cover identity, when written or now, as the brief is read or sent (<see cref="BriefDisclosure"/>).
    /// </summary>
    public string? CustomerName { get; init; }
    public required string AgentId { get; init; }
    public required string AgentVersion { get; init; }
    public required string ContentHash { get; init; }
    public required string Scenario { get; init; }
    public double Score { get; init; }
    public double Threshold { get; init; }
    public required string Headline { get; init; }
    public required string Body { get; init; }
    public IReadOnlyList<Reason> Reasons { get; init; } = [];
    public IReadOnlyList<Citation> Citations { get; init; } = [];

    /// <summary>
    /// The knowledge could not be searched when the brief was written (the store or the embeddings endpoint failed): it cites
    /// nothing for that reason, not because nothing matched. False in briefs stored by earlier builds.
    /// </summary>
    public bool CitationsFailed { get; init; }
    public BriefStatus Status { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public bool Degraded { get; init; }

    /// <summary>Until when a reviewer may still veto (retract) the delivered brief.</summary>
    public DateTimeOffset? ReviewUntil { get; init; }

    /// <summary>The reviewer's verdict, once there is one.</summary>
    public BriefReview? Review { get; init; }

    /// <summary>
    /// The reader's own acknowledgement and feedback (<see cref="BriefResponseStore"/>), filled in per request and never
    /// stored with the brief; absent until the reader responds.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BriefResponse? MyResponse { get; init; }

    /// <summary>The event whose arrival produced this brief.</summary>
    public required string TriggerEventId { get; init; }

    /// <summary>The snapshot time the agent assessed (event time).</summary>
    public DateTimeOffset AsOf { get; init; }

    /// <summary>The snapshot fields the agent read, as it saw them.</summary>
    public IReadOnlyDictionary<string, object?> Inputs { get; init; } = new Dictionary<string, object?>();
}
