namespace AgentCrm.Sandbox.Gate;

/// <summary>Whether a version may be promoted; when not, one human-readable line per unmet criterion.</summary>
public sealed record GateResult(bool Passed, IReadOnlyList<string> Unmet);
