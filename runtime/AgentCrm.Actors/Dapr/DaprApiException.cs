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
