using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Reports;

/// <summary>The decision metrics of one segment (e.g. one contract type), shaped like the report's top level.</summary>
public sealed record SegmentReport(int Cases, int Errors, ConfusionMatrix Confusion)
{
    /// <summary>Null when nothing fired (<see cref="ConfusionMatrix.PrecisionUndefined"/>); its interval is then the whole (0, 1).</summary>
    public double? Precision => Confusion.PrecisionUndefined is null ? Confusion.Precision.Value : null;

    /// <summary>Null when the scored cases hold no positive (<see cref="ConfusionMatrix.RecallUndefined"/>); its interval is then the whole (0, 1).</summary>
    public double? Recall => Confusion.RecallUndefined is null ? Confusion.Recall.Value : null;

    /// <summary>Null when recall is (no positive cases).</summary>
    public double? F1 => Confusion.RecallUndefined is null ? Confusion.F1.Value : null;

    /// <summary>Null when no case was scored (<see cref="ConfusionMatrix.AccuracyUndefined"/>); its interval is then the whole (0, 1).</summary>
    public double? Accuracy => Confusion.AccuracyUndefined is null ? Confusion.Accuracy.Value : null;

    public Estimate PrecisionInterval => Confusion.Precision;

    public Estimate RecallInterval => Confusion.Recall;

    public Estimate F1Interval => Confusion.F1;

    public Estimate AccuracyInterval => Confusion.Accuracy;
}
