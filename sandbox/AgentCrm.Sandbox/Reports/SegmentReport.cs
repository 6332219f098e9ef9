using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Reports;

/// <summary>The decision metrics of one segment (e.g. one contract type), shaped like the report's top level.</summary>
public sealed record SegmentReport(int Cases, int Errors, ConfusionMatrix Confusion)
{
    public double Precision => Confusion.Precision.Value;

    public double Recall => Confusion.Recall.Value;

    public double F1 => Confusion.F1.Value;

    public double Accuracy => Confusion.Accuracy.Value;

    public Estimate PrecisionInterval => Confusion.Precision;

    public Estimate RecallInterval => Confusion.Recall;

    public Estimate F1Interval => Confusion.F1;

    public Estimate AccuracyInterval => Confusion.Accuracy;
}
