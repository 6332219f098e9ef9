namespace AgentCrm.Sandbox;

/// <summary>Where a sandbox job is: its <see cref="Stage"/> and the steps of that stage done of its total.</summary>
/// <remarks>
/// Stages: <c>queued</c> (a fit waiting for the one before it), <c>fitting</c> (steps: candidates scored in cross-validation,
/// classes fitted, the final refit), <c>cross-validating</c> (a clause fit with cross-validation: models fitted over the
/// folds), <c>evaluating</c> (cases replayed).
/// </remarks>
public readonly record struct JobProgress(string Stage, int Done, int Total)
{
    public const string Queued = "queued";
    public const string Fitting = "fitting";
    public const string CrossValidating = "cross-validating";
    public const string Evaluating = "evaluating";

    /// <summary>The steps of one stage reported as <see cref="JobProgress"/> (on the reporting thread, in order); null when nobody listens.</summary>
    public static SyncProgress<(int Done, int Total)>? Of(IProgress<JobProgress>? progress, string stage) =>
        progress is null ? null : new(p => progress.Report(new(stage, p.Done, p.Total)));
}
