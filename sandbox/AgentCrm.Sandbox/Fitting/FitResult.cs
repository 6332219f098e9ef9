using AgentCrm.Agents;
using AgentCrm.Agents.Models;

namespace AgentCrm.Sandbox.Fitting;

/// <summary>A fitted renewal-risk version and how it and the baseline did on the held-out part.</summary>
/// <param name="Manifest">The new version: kind renewal-risk, <c>parameters.model</c>, threshold chosen on validation, reads = the model's fields.</param>
/// <param name="Test">The fitted version on the held-out part.</param>
/// <param name="Baseline">The plain baseline on the same held-out part.</param>
public sealed record FitResult(AgentManifest Manifest, FitMetrics Test, FitMetrics Baseline)
{
    /// <summary>The baseline as a manifest too (same kind, plain model).</summary>
    public required AgentManifest BaselineManifest { get; init; }

    /// <summary>Out-of-fold metrics of the chosen candidate on the training part (what the choice was made on).</summary>
    public required FitMetrics Validation { get; init; }

    public required string CaseSetName { get; init; }

    public required string CaseSetHash { get; init; }

    public required int TrainCases { get; init; }

    public required int TestCases { get; init; }

    /// <summary>The chosen model's type: <c>logistic</c>, <c>trees</c> or <c>ensemble</c>.</summary>
    public string ModelType { get; init; } = LinearModel.TypeName;

    /// <summary>The chosen feature set or tree setting.</summary>
    public required string Features { get; init; }

    public required double L2 { get; init; }

    /// <summary>Number of trees (chosen by early stopping in the folds) when the model is trees or an ensemble with trees; 0 otherwise.</summary>
    public int Trees { get; init; }

    /// <summary>Every candidate tried, with its out-of-fold scores.</summary>
    public required IReadOnlyList<FitCandidate> Candidates { get; init; }

    public required string Protocol { get; init; }

    /// <summary>Text fits: each named label (e.g. clause category) on the held-out part.</summary>
    public IReadOnlyList<Text.LabelMetrics> PerLabel { get; init; } = [];
}

/// <summary>
/// One candidate scored out of fold on the training part: a logistic feature set and L2 strength
/// (<see cref="Inputs"/> = weights), or a trees setting (<see cref="Inputs"/> = fields, <see cref="L2"/> = leaf L2,
/// <see cref="Trees"/> = the number early stopping chose), or a blend of the best of each (<see cref="Features"/> names both and their weights,
/// <see cref="L2"/> = the logistic member's L2).
/// </summary>
public sealed record FitCandidate(string Features, int Inputs, double L2, double LogLoss, double RocAuc, double F1, string Type = LinearModel.TypeName, int Trees = 0);
