using System.Text.Json.Serialization;

namespace AgentCrm.Sandbox.Metrics;

/// <summary>
/// One replayed case: the true label, what the agent scored and decided, the case's segment and how long
/// Assess took. <c>Error</c> means the agent threw or timed out: the case is counted but kept out of every
/// metric except latency.
/// </summary>
public sealed record ScoredCase(
    string CaseId, bool Label, double Score, bool Fired, string? Segment, double LatencyMs, bool Error)
{
    // A NaN or infinite score would poison every mean and cannot be written as JSON, so it counts
    // as an error of the agent like a throw.
    /// <summary>The customer's consent kept the agent from running on this case: no score, left out of every metric and counted apart.</summary>
    public bool Blocked { get; init; }

    /// <summary>Why the case is an error (the exception's type and message, or the time-out), when it is one.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ErrorReason { get; init; }

    [JsonIgnore]
    public bool IsError => Error || !double.IsFinite(Score);

    /// <summary><see cref="ErrorReason"/>, or what made the case an error when none was given.</summary>
    [JsonIgnore]
    public string? Why => !IsError ? null
        : ErrorReason ?? (Error ? "failed" : $"the score is not a finite number ({Score.ToString(System.Globalization.CultureInfo.InvariantCulture)})");

    /// <summary>Left out of the metrics: the agent failed on the case (an error) or did not run on it (blocked by consent).</summary>
    [JsonIgnore]
    public bool Unscored => IsError || Blocked;
}
