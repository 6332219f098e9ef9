using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace AgentCrm.Server;

// The ProblemDetails answers that carry members of their own beyond type, title, status, detail, instance, traceId (and a
// validation problem's errors): documentation only, each the schema of the one answer that writes it. The handlers write
// ProblemDetails with extensions; these name the extensions, so a client generated from the document reads them.

/// <summary>409 of a promotion: when the gate refuses it, <c>unmet</c> lists the criteria the version's report does not meet (absent when the version's state is the conflict).</summary>
internal sealed class GateRefusalProblem : ProblemDetails
{
    /// <summary>Each unmet criterion, in words (e.g. "precision lower bound 0.41 is below 0.60").</summary>
    [JsonPropertyName("unmet")]
    public IReadOnlyList<string>? Unmet { get; init; }
}

/// <summary>409 of cancelling a job that has ended (or is already stopping): <c>state</c> is the job's state.</summary>
internal sealed class JobStateProblem : ProblemDetails
{
    /// <summary>The job's state: running (already being stopped), succeeded, failed, interrupted or cancelled.</summary>
    [JsonPropertyName("state")]
    [OpenApiValues(typeof(AgentCrm.Sandbox.SandboxJobs), nameof(AgentCrm.Sandbox.SandboxJobs.States))]
    public required string State { get; init; }
}

/// <summary>429 of a brief stream beyond the streams a credential (or the server) may hold open: the limit and the setting that sets it (absent on a 429 of the request rate).</summary>
internal sealed class StreamLimitProblem : ProblemDetails
{
    /// <summary>How many streams are allowed.</summary>
    [JsonPropertyName("limit")]
    public int? Limit { get; init; }

    /// <summary>The setting that sets the limit: Auth:Streams:MaxPerCredential or Auth:Streams:MaxTotal.</summary>
    [JsonPropertyName("setting")]
    public string? Setting { get; init; }
}

/// <summary>403 that a setting decides (not the caller's role): <c>setting</c> names it.</summary>
internal sealed class SettingProblem : ProblemDetails
{
    /// <summary>The setting that refuses the request, e.g. Plugins:AllowUpload.</summary>
    [JsonPropertyName("setting")]
    public string? Setting { get; init; }
}
