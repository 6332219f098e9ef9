using AgentCrm.Agents.Text;

namespace AgentCrm.Sandbox.Fitting.Text;

/// <summary>What the clause fitter searches and how compact the model is.</summary>
public sealed record ClauseFitOptions
{
    public TextFeaturizer Featurizer { get; init; } = TextFeaturizer.Default;

    /// <summary>Restrict the fit to these categories (label names); empty: every category of the case set.</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    public int MinDf { get; init; } = 3;

    /// <summary>A term must occur in this many contracts (one company's name does not generalise).</summary>
    public int MinGroups { get; init; } = 3;

    public int MaxWords { get; init; } = 4000;

    public int MaxChars { get; init; } = 4000;

    /// <summary>L2 strengths tried per category (document-level F1 out of fold picks one, with the positive weight).</summary>
    public IReadOnlyList<double> L2Strengths { get; init; } = [0.3, 3];

    /// <summary>Weights of positive rows tried per category (with the L2 strengths; document-level F1 out of fold picks).</summary>
    public IReadOnlyList<double> PositiveWeights { get; init; } = [1, 5];

    public int MaxIterations { get; init; } = 150;

    public double Tolerance { get; init; } = 1e-4;

    /// <summary>Weights smaller than this in absolute value are stored as 0 (a compact manifest).</summary>
    public double Prune { get; init; } = 0.01;

    /// <summary>Categories fitted at once.</summary>
    public int Parallelism { get; init; } = 2;
}

/// <summary>Per category, pooled over the test folds: the span-supervised model (null without spans), the document-label model scored by max sentence, and the whole-document baseline.</summary>
public sealed record ClauseCategoryFigures(string Category, int Positives, LabelMetrics? Spans, LabelMetrics DocumentLabels, LabelMetrics Baseline);

public sealed record ClauseCrossValidation(string CaseSet, string CaseSetHash, int Documents, int Folds, int Seed, string Protocol,
    IReadOnlyList<ClauseCategoryFigures> Categories, double? MeanF1Spans, double MeanF1DocumentLabels, double MeanF1Baseline)
{
    /// <summary>
    /// The default policy's decision (require / flag over the fitted categories, as the version decides) against the case
    /// set's primary label, pooled over the test folds: span-supervised when spans are given, else document labels (max sentence).
    /// </summary>
    public LabelMetrics? Policy { get; init; }

    /// <summary>The same policy over the whole-text baseline's category scores.</summary>
    public LabelMetrics? PolicyBaseline { get; init; }
}
