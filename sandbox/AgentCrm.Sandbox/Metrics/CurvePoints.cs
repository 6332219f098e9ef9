namespace AgentCrm.Sandbox.Metrics;

/// <summary>One point of the ROC curve: the rates when firing at scores ≥ <paramref name="Threshold"/>; null at the origin (nothing fires).</summary>
public sealed record RocPoint(double? Threshold, double FalsePositiveRate, double TruePositiveRate);

/// <summary>One point of the precision-recall curve when firing at scores ≥ <paramref name="Threshold"/>.</summary>
public sealed record PrecisionRecallPoint(double Threshold, double Recall, double Precision);
