namespace AgentCrm.Sandbox.Fitting;

/// <summary>
/// Counts a fit's steps (candidates scored in cross-validation, classes fitted, the final refit) against the number
/// the fitter plans up front, and reports each to <see cref="FitOptions.Progress"/>. Steps may finish on several
/// threads; the count only moves forward and never passes the plan.
/// </summary>
internal sealed class FitSteps(IProgress<(int Done, int Total)>? sink, int total)
{
    private int _done;

    public void Step()
    {
        var done = Interlocked.Increment(ref _done);
        sink?.Report((Math.Min(done, total), total));
    }
}
