namespace AgentCrm.Agents;

/// <summary>No such agent or version (404).</summary>
public sealed class AgentNotFoundException(string message) : Exception(message);

/// <summary>
/// A registry change that contradicts what is stored (409): a version with other content, a refused transition.
/// <see cref="Field"/>: the request's field at fault, when one is (the version of a manifest whose version holds other content).
/// </summary>
public sealed class AgentConflictException(string message, string? field = null) : Exception(message)
{
    public string? Field { get; } = field;
}
