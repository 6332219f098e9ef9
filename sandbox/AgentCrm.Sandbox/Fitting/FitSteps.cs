namespace AgentCrm.Sandbox.Fitting;

/// <summary>
/// Counts a fit's steps (candidates scored in cross-validation, classes fitted, the final refit) against the number
/// the fitter plans up front, and reports each to <see cref="FitOptions.Progress"/>. Steps may finish on several
/// threads; the count only moves forward and never passes the plan. As an <see cref="IProgress{T}"/> of cases (a replay
/// inside a step), it reports the count again without moving it, so a sink that stops the fit is asked meanwhile too.
/// </summary>
internal sealed class FitSteps(IProgress<(int Done, int Total)>? sink, int total) : IProgress<int>
{
    private int _done;

    public void Step()
    {
        var done = Interlocked.Increment(ref _done);
        sink?.Report((Math.Min(done, total), total));
    }

    void IProgress<int>.Report(int cases) => sink?.Report((Math.Min(Volatile.Read(ref _done), total), total));
}
