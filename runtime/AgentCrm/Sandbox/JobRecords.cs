using System.Text.Json.Serialization;

namespace AgentCrm.Sandbox;

[Server.OpenApiAlwaysSent]
public sealed record JobStatus(string Id, [property: Server.OpenApiValues(typeof(SandboxJobs), nameof(SandboxJobs.Kinds))] string Kind, string Subject,
    [property: Server.OpenApiValues(typeof(SandboxJobs), nameof(SandboxJobs.States))] string State, int Done, int Total, string? ReportId, string? Error, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>1 for the first run; one more each time the job was resumed after the server stopped while it ran.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>While running, what it does (<see cref="JobProgress"/>); <see cref="Done"/> and <see cref="Total"/> count that stage's steps. Absent once ended.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [Server.OpenApiValues(typeof(JobProgress), nameof(JobProgress.Stages))]
    public string? Stage { get; init; }
}

/// <summary>What a job runs, stored with it so that a job the server was running when it stopped resumes on the next start.</summary>
public sealed record JobRequest(string Actor)
{
    public EvaluateJobRequest? Evaluate { get; init; }

    public FitJobRequest? Fit { get; init; }

    /// <summary>
    /// The newest agent transition when the job was accepted: an unregister of its agent after it (a higher <c>seq</c>) cancels
    /// the job. Absent in requests stored by earlier builds (then an unregister at or after the job's creation does).
    /// </summary>
    public long? TransitionsSeq { get; init; }

    /// <summary>
    /// A cancel asked while the job ran (<see cref="SandboxJobs.CancelAsync"/>), stored before it is answered: a job the server
    /// stopped before storing its end (or whose end could not be stored) is not run again but ends cancelled on the next start.
    /// </summary>
    public JobCancel? Cancel { get; init; }
}

public sealed record JobCancel(string Actor, string Reason, DateTimeOffset At);

public sealed record EvaluateJobRequest(string AgentId, string Version, string CaseSet);

/// <summary>A fit as accepted: the version it holds and the version whose parameters it starts from are fixed at acceptance.</summary>
public sealed record FitJobRequest(string Kind, string CaseSet, string Version, string BaseVersion, int Seed, IReadOnlyList<string> Categories, bool CrossValidate)
{
    /// <summary>The version was chosen for the fit, not asked for (<see cref="PreparedFit.VersionChosen"/>); absent in earlier builds' requests (then: asked for).</summary>
    public bool VersionChosen { get; init; }

    /// <summary>
    /// The version the fit registered (its own, or the next free one when another process took it), stored in the registration's
    /// transaction: a fit resumed with it set only evaluates that version on the part it held out. Absent before it registered,
    /// and in earlier builds' requests (such a fit is fitted again, and finds its version by its content).
    /// </summary>
    public string? Registered { get; init; }

    /// <summary>The case set's content hash when the fit was accepted: the held-out part of a set changed since is not this fit's.</summary>
    public string? CaseSetHash { get; init; }
}

/// <summary>What a cancel did: <see cref="Cancelled"/> (the job ended cancelled), <see cref="Stopping"/> (still stopping after the wait),
/// <see cref="Ended"/> (it had ended, or ended otherwise before the cancel reached it), <see cref="NotFound"/>.</summary>
public enum CancelOutcome
{
    Cancelled,
    Stopping,
    Ended,
    NotFound,
}
