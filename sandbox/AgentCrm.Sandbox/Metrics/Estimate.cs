namespace AgentCrm.Sandbox.Metrics;

/// <summary>A point estimate with its 95% interval; never NaN.</summary>
public sealed record Estimate(double Value, double Lower, double Upper);
