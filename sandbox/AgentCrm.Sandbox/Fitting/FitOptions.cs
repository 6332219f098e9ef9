using AgentCrm.Agents;

namespace AgentCrm.Sandbox.Fitting;

/// <summary>How <see cref="RenewalRiskFitter"/> splits, searches and names the fitted version. Defaults are the documented protocol.</summary>
public sealed record FitOptions
{
    /// <summary>Seed of the stratified splits (the only randomness in a fit).</summary>
    public const int DefaultSeed = 20260101;

    public const double DefaultTestFraction = 0.3;

    public const int DefaultFolds = 5;

    public int Seed { get; init; } = DefaultSeed;

    /// <summary>Share of each class held out for the final report; never used to choose anything.</summary>
    public double TestFraction { get; init; } = DefaultTestFraction;

    /// <summary>Stratified folds inside the training part, used to choose the model (features and L2, or trees setting and number of trees) and threshold.</summary>
    public int Folds { get; init; } = DefaultFolds;

    /// <summary>L2 strengths tried (λ in Σ log-loss + λ/2·‖w‖²).</summary>
    public IReadOnlyList<double> L2Strengths { get; init; } = [0.1, 0.3, 1, 3, 10, 30, 100];

    /// <summary>Feature sets tried; cross-validation picks one. By default the engineered set at three bucket resolutions.</summary>
    public IReadOnlyList<FeatureOptions> FeatureCandidates { get; init; } =
    [
        FeatureOptions.Engineered,
        FeatureOptions.Engineered with { Name = "engineered-12", QuantileBuckets = 12 },
        FeatureOptions.Engineered with { Name = "engineered-16", QuantileBuckets = 16 },
    ];

    /// <summary>Gradient-boosted tree settings tried beside the logistic candidates by the same cross-validation (empty: logistic only).</summary>
    public IReadOnlyList<TreeOptions> TreeCandidates { get; init; } =
    [
        new TreeOptions { Name = "trees-d3", Depth = 3, LearningRate = 0.1 },
        new TreeOptions { Name = "trees-d4", Depth = 4, LearningRate = 0.1 },
        new TreeOptions { Name = "trees-d5", Depth = 5, LearningRate = 0.1 },
    ];

    /// <summary>
    /// Weights of the best logistic candidate in blends with the best trees candidate (logits averaged),
    /// each scored out of fold beside the single models (empty: no blends).
    /// </summary>
    public IReadOnlyList<double> BlendWeights { get; init; } = [0.25, 0.5, 0.75];

    /// <summary>Which fields trees may split on (only its excluded fields and category limit apply).</summary>
    public FeatureOptions TreeFeatures { get; init; } = FeatureOptions.Engineered;

    /// <summary>The baseline measured in the same run: plain features, this fixed L2, threshold picked on the training part.</summary>
    public double BaselineL2 { get; init; } = 1;

    /// <summary>The manifest the fitted version derives from (id, subscriptions, purpose, gate…); the built-in renewal-risk one by default.</summary>
    public AgentManifest? Base { get; init; }

    /// <summary>The new version; by default the base version with its minor number raised.</summary>
    public string? Version { get; init; }

    /// <summary>
    /// Told the fit's steps done of those planned when it starts (candidates scored in cross-validation, classes
    /// fitted, the final refit), so a caller can show how far a fit of minutes is; null: not told.
    /// </summary>
    public IProgress<(int Done, int Total)>? Progress { get; init; }
}
