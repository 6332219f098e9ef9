namespace AgentCrm.Sandbox.Metrics;

/// <summary>
/// One bin of the reliability diagram: scores in [<paramref name="Lower"/>, <paramref name="Upper"/>)
/// (the last bin includes 1). <paramref name="MeanPredicted"/> and <paramref name="ObservedRate"/> are null
/// for an empty bin.
/// </summary>
public sealed record CalibrationBin(double Lower, double Upper, int Count, double? MeanPredicted, double? ObservedRate);
