namespace AgentCrm.Agents;

/// <summary>No such agent or version (404).</summary>
public sealed class AgentNotFoundException(string message) : Exception(message);

/// <summary>A registry change that contradicts what is stored (409): a version with other content, a refused transition.</summary>
public sealed class AgentConflictException(string message) : Exception(message);
