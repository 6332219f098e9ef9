namespace AgentCrm.Sandbox.Metrics;

/// <summary>
/// Precision, recall and F1 when firing at scores ≥ <paramref name="Threshold"/>. Precision is null where nothing fires
/// and recall null where no case is positive (undefined, as a report's top-level rates); F1 is null with recall, and 0
/// where nothing fires but some case is positive (recall is then a measured 0).
/// </summary>
public sealed record SweepPoint(double Threshold, double? Precision, double? Recall, double? F1);
