namespace AgentCrm.Sandbox.Fitting;

/// <summary>
/// One gradient-boosted trees setting tried by cross-validation beside the logistic candidates. The
/// number of trees is not set here: early stopping inside the folds picks it (at most <see cref="MaxTrees"/>).
/// Fitting is deterministic: no row or field subsampling.
/// </summary>
public sealed record TreeOptions
{
    public string Name { get; init; } = "trees-d4";

    public int Depth { get; init; } = 4;

    public double LearningRate { get; init; } = 0.05;

    public int MaxTrees { get; init; } = 400;

    /// <summary>Cross-validation stops adding trees once the held-out log-loss has not improved for this many.</summary>
    public int EarlyStoppingRounds { get; init; } = 50;

    /// <summary>λ in a leaf's value −G/(H + λ) and in the split gain.</summary>
    public double L2 { get; init; } = 1;

    /// <summary>A split is allowed only when each side's summed hessian p(1 − p) reaches this.</summary>
    public double MinChildWeight { get; init; } = 2;
}
