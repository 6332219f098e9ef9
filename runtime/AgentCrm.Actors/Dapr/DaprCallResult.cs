namespace AgentCrm.Dapr;

/// <summary>How an actor method call ended on this app.</summary>
public enum DaprCallStatus
{
    Ok,
    UnknownType,
    UnknownMethod,
    BadArgument,
    Failed,
}

public sealed record DaprCallResult(DaprCallStatus Status, byte[]? Body = null, Exception? Error = null, string? Problem = null);
