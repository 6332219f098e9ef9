namespace AgentCrm.Sandbox;

internal static class SandboxMarker;
