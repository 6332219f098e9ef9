namespace AgentCrm.Sandbox.Metrics;

/// <summary>Precision, recall and F1 when firing at scores ≥ <paramref name="Threshold"/> (0 where undefined, as in <see cref="ConfusionMatrix"/>).</summary>
public sealed record SweepPoint(double Threshold, double Precision, double Recall, double F1);
