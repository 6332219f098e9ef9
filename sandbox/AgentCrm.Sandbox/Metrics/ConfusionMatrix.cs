using System.Text.Json.Serialization;

namespace AgentCrm.Sandbox.Metrics;

/// <summary>
/// Counts of the agent's decisions (<see cref="ScoredCase.Fired"/>) against the labels, with the derived
/// rates as Wilson estimates. Edge cases are defined rather than NaN: with no predicted positives precision
/// is 0 on (0, 1); with no actual positives recall is 0 on (0, 1); with no cases accuracy is 0 on (0, 1).
/// Those are placeholders, not measurements: <see cref="PrecisionUndefined"/>, <see cref="RecallUndefined"/> and
/// <see cref="AccuracyUndefined"/> say
/// when a rate cannot be measured and why, and a report shows such a rate as null ("undefined"), not as 0.
/// </summary>
public sealed record ConfusionMatrix(int TruePositives, int FalsePositives, int FalseNegatives, int TrueNegatives)
{
    public static ConfusionMatrix Empty { get; } = new(0, 0, 0, 0);

    [JsonIgnore]
    public int Total => TruePositives + FalsePositives + FalseNegatives + TrueNegatives;

    [JsonIgnore]
    public int Positives => TruePositives + FalseNegatives;

    [JsonIgnore]
    public int Negatives => FalsePositives + TrueNegatives;

    /// <summary>Why precision cannot be measured ("nothing fired"); null when it can.</summary>
    [JsonIgnore]
    public string? PrecisionUndefined => TruePositives + FalsePositives > 0 ? null
        : Total == 0 ? "no scored cases" : "nothing fired";

    /// <summary>Why accuracy cannot be measured ("no scored cases": every case errored or was blocked by consent); null when it can.</summary>
    [JsonIgnore]
    public string? AccuracyUndefined => Total > 0 ? null : "no scored cases";

    /// <summary>Why recall (and so F1) cannot be measured ("no positive cases"); null when it can.</summary>
    [JsonIgnore]
    public string? RecallUndefined => Positives > 0 ? null
        : Total == 0 ? "no scored cases" : "no positive cases";

    [JsonIgnore]
    public Estimate Precision => WilsonInterval.Of(TruePositives, TruePositives + FalsePositives);

    [JsonIgnore]
    public Estimate Recall => WilsonInterval.Of(TruePositives, TruePositives + FalseNegatives);

    [JsonIgnore]
    public Estimate Accuracy => WilsonInterval.Of(TruePositives + TrueNegatives, Total);

    /// <summary>
    /// F1 = 2TP / (2TP + FP + FN), 0 when precision + recall = 0. F1 is not a binomial proportion, so its
    /// bounds are the F1 of the precision bounds and the recall bounds: F1 rises in both, so the range
    /// is conservative, not an exact 95% interval.
    /// </summary>
    [JsonIgnore]
    public Estimate F1
    {
        get
        {
            var (precision, recall) = (Precision, Recall);
            if (RecallUndefined is not null)
            {
                // No positive case: F1 is not measured (a report gives it as null), so its range is the whole [0, 1], as
                // recall's is, not the F1 of a measured precision and a placeholder recall (qa41d F1: 0 to 0.606).
                return new Estimate(0, 0, 1);
            }

            return new Estimate(
                HarmonicMean(precision.Value, recall.Value),
                HarmonicMean(precision.Lower, recall.Lower),
                HarmonicMean(precision.Upper, recall.Upper));
        }
    }

    /// <summary>Counts the cases that were scored; errors and cases consent blocked are left out.</summary>
    public static ConfusionMatrix From(IEnumerable<ScoredCase> cases)
    {
        int tp = 0, fp = 0, fn = 0, tn = 0;
        foreach (var c in cases)
        {
            if (c.Unscored)
            {
                continue;
            }

            _ = (c.Label, c.Fired) switch
            {
                (true, true) => tp++,
                (false, true) => fp++,
                (true, false) => fn++,
                (false, false) => tn++,
            };
        }

        return new ConfusionMatrix(tp, fp, fn, tn);
    }

    internal static double HarmonicMean(double precision, double recall) =>
        precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
}
