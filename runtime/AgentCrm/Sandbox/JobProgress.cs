namespace AgentCrm.Sandbox;

/// <summary>Where a sandbox job is: its <see cref="Stage"/> and the steps of that stage done of its total.</summary>
/// <remarks>
/// Stages: <c>queued</c> (accepted; a fit waiting for the one before it), <c>loading</c> (its turn came: its case set is
/// parsed, waiting for another parse first, or a fit prepares its inputs before its first step; 0/0), <c>fitting</c>
/// (steps: candidates scored in cross-validation, classes fitted, the final refit), <c>cross-validating</c> (a clause fit
/// with cross-validation: models fitted over the folds), <c>evaluating</c> (cases replayed), <c>cancelling</c> (a cancel
/// was asked and the work is stopping; the counts stay where they were).
/// </remarks>
public readonly record struct JobProgress(string Stage, int Done, int Total)
{
    public const string Queued = "queued";
    public const string Loading = "loading";
    public const string Fitting = "fitting";
    public const string CrossValidating = "cross-validating";
    public const string Evaluating = "evaluating";
    public const string Cancelling = "cancelling";

    /// <summary>Every stage, in the order a job goes through them.</summary>
    public static readonly IReadOnlyList<string> Stages = [Queued, Loading, Fitting, CrossValidating, Evaluating, Cancelling];

    /// <summary>The steps of one stage reported as <see cref="JobProgress"/> (on the reporting thread, in order); null when nobody listens.</summary>
    public static SyncProgress<(int Done, int Total)>? Of(IProgress<JobProgress>? progress, string stage) =>
        progress is null ? null : new(p => progress.Report(new(stage, p.Done, p.Total)));
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, in order, and never after the work is done.</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
