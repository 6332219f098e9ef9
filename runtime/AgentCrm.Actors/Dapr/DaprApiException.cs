using System.Net;

namespace AgentCrm.Dapr;

/// <summary>daprd refused or failed a call; carries its HTTP status and errorCode (e.g. ERR_ACTOR_INSTANCE_MISSING).</summary>
public sealed class DaprApiException : Exception
{
    public DaprApiException()
    {
    }

    public DaprApiException(string message)
        : base(message)
    {
    }

    public DaprApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DaprApiException(string operation, HttpStatusCode status, string? errorCode, string? daprMessage)
        : base($"daprd answered {operation} with {(int)status}{(errorCode is null ? "" : " " + errorCode)}: {daprMessage ?? "(no message)"}")
    {
        Operation = operation;
        StatusCode = status;
        ErrorCode = errorCode;
        DaprMessage = daprMessage;
    }

    public string? Operation { get; }

    public HttpStatusCode? StatusCode { get; }

    /// <summary>daprd's errorCode, when its body had one.</summary>
    public string? ErrorCode { get; }

    public string? DaprMessage { get; }

    /// <summary>
    /// daprd did not run the call because its actors are not placed yet (sheet §3.1, §5): placement has no host for the actor
    /// while it disseminates or rebalances its tables (404 <c>ERR_ACTOR_NO_ADDRESS</c>), or daprd is not connected to placement
    /// yet, as while the sidecar starts (400 <c>ERR_ACTOR_NO_PLACEMENT</c>). Safe to send again, whatever the call.
    /// </summary>
    public static bool NotPlaced(string? errorCode) => errorCode is "ERR_ACTOR_NO_ADDRESS" or "ERR_ACTOR_NO_PLACEMENT";

    /// <summary>
    /// An answer about where the actor is, not about this server's configuration: not placed yet (<see cref="NotPlaced"/>), or
    /// moved off this sidecar during a turn (400 <c>ERR_ACTOR_INSTANCE_MISSING</c> to the turn's state transaction; its next
    /// call goes to the new host). A later call succeeds, so it is answered as daprd being unavailable (503), not refusing (502).
    /// </summary>
    public bool ActorNotHere => NotPlaced(ErrorCode) || ErrorCode == "ERR_ACTOR_INSTANCE_MISSING";

    /// <summary>
    /// The failure of daprd behind <paramref name="exception"/>: itself, one it wraps, or one an actor's turn on another
    /// call of daprd's came back with (<see cref="DaprActorMethodException.SidecarFailure"/>); null when daprd did not fail.
    /// </summary>
    public static DaprApiException? Find(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is DaprApiException d)
                return d;
            else if (e is DaprActorMethodException { SidecarFailure: { } sidecar })
                return sidecar;
        return null;
    }
}

/// <summary>An actor's turn threw on the hosting app; the caller gets the original exception's type name and message.</summary>
public sealed class DaprActorMethodException : Exception
{
    public DaprActorMethodException()
    {
    }

    public DaprActorMethodException(string message)
        : base(message)
    {
    }

    public DaprActorMethodException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DaprActorMethodException(string exceptionType, string message)
        : base(message)
    {
        ExceptionType = exceptionType;
    }

    /// <summary>A turn that failed because a call it made to daprd did: <paramref name="sidecar"/> is that failure.</summary>
    public DaprActorMethodException(string exceptionType, string message, DaprApiException sidecar)
        : base(message, sidecar)
    {
        ExceptionType = exceptionType;
    }

    /// <summary>Full name of the exception the actor threw, e.g. System.InvalidOperationException.</summary>
    public string? ExceptionType { get; }

    /// <summary>The failure of daprd that failed the turn (its state store down, say), when it was one; it is also the inner exception.</summary>
    public DaprApiException? SidecarFailure => InnerException as DaprApiException;
}
