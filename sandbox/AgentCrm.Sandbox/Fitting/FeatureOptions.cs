namespace AgentCrm.Sandbox.Fitting;

/// <summary>
/// Which features the fitter builds from the fields it finds in the cases. Nothing names a data
/// set: categories, quantile edges, counts and crosses are derived from the training part alone.
/// </summary>
public sealed record FeatureOptions
{
    /// <summary>One-hot categoricals and standardised numerics only: the baseline.</summary>
    public static FeatureOptions Plain { get; } = new()
    {
        Name = "plain",
        MinCategoryCount = 1,
        LogTransform = false,
        MissingIndicators = false,
        SmallIntegerCategories = false,
        QuantileBuckets = 0,
        Counts = false,
        Ratios = false,
        CrossedFields = 0,
        SlopesByTopCategory = false,
    };

    /// <summary>The default: plain plus transforms, buckets, counts, ratios and interactions.</summary>
    public static FeatureOptions Engineered { get; } = new();

    public string Name { get; init; } = "engineered";

    /// <summary>Fields never used: who the customer is must not decide their risk (and would not generalise).</summary>
    public IReadOnlyList<string> ExcludedFields { get; init; } = ["profile.name", "profile.domain"];

    /// <summary>A text field with more distinct values than this in training is an identifier or free text, not a category, and is skipped.</summary>
    public int MaxCategories { get; init; } = 50;

    /// <summary>Categories seen fewer times in training are treated as unknown (no weight).</summary>
    public int MinCategoryCount { get; init; } = 5;

    /// <summary>Skewed non-negative amounts are taken as log(1 + x).</summary>
    public bool LogTransform { get; init; } = true;

    /// <summary>A weight for "unknown" on numeric fields that are sometimes missing.</summary>
    public bool MissingIndicators { get; init; } = true;

    /// <summary>Whole-number fields with few values (bands, counts) also get one weight per value.</summary>
    public bool SmallIntegerCategories { get; init; } = true;

    /// <summary>Continuous fields are also cut at this many quantiles (0 = no buckets).</summary>
    public int QuantileBuckets { get; init; } = 8;

    /// <summary>For each field prefix with three or more text fields, how many of them hold each common value (e.g. services that are "yes").</summary>
    public bool Counts { get; init; } = true;

    /// <summary>Ratios between pairs of continuous fields (e.g. total over monthly charges).</summary>
    public bool Ratios { get; init; } = true;

    /// <summary>The most informative categorical fields are crossed pairwise (e.g. contract × internet).</summary>
    public int CrossedFields { get; init; } = 4;

    /// <summary>Continuous fields get a separate slope per category of the most informative categorical field.</summary>
    public bool SlopesByTopCategory { get; init; } = true;
}
