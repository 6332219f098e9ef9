using AgentCrm.Dapr;
using AgentCrm.Knowledge.Chat;
using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;
using AgentCrm.Knowledge.Stores.Qdrant;
using AgentCrm.Storage;
using Polly.Timeout;
using Microsoft.AspNetCore.Diagnostics;

namespace AgentCrm.Server;

/// <summary>
/// A request that fails because a service the server depends on is down (Qdrant, the Dapr sidecar, an embedding or chat
/// endpoint) is answered 503 naming that service, with Retry-After, not a bare 500; one that the service refuses (a
/// wrong key, a collection of another shape) 502 without it. Qdrant answering a write "accepted, not applied yet"
/// (<c>wait_timeout</c>, <c>acknowledged</c>) is busy, not misconfigured: 503 too. The cause goes to the log under the request's traceId; the
/// answer carries no internal addresses. A write that fails for want of storage (a full disk, an I/O error:
/// <see cref="SqliteWriter.IsStorageFailure"/>) is a 503 naming storage too: one status for full and failing alike, the one
/// every client and load balancer retries after Retry-After (507 is WebDAV's, and a full disk is not the request's fault).
/// A failing dependency fails every request: its stack trace is logged once per <see cref="LogInterval"/> per service,
/// with the count of failures not logged since. A failure of the Dapr sidecar — also one an actor's turn met on its own call
/// to daprd, which comes back wrapped in the turn's error — is logged as one line with daprd's answer, without a stack trace.
/// </summary>
internal sealed partial class DependencyFailureHandler(IProblemDetailsService problems, ILogger<DependencyFailureHandler> logger, TimeProvider time) : IExceptionHandler
{
    internal const string StorageService = "Storage (the server's database in its data directory)";
    internal static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);
    private readonly LogThrottle _log = new(LogInterval, time);

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (Classify(exception) is not var (service, transient) || httpContext.Response.HasStarted)
            return false;
        // Down or overloaded: 503, worth retrying. Refusing what this server sends (a key, a collection of the wrong shape):
        // 502 without Retry-After, since retrying cannot help until its configuration is fixed.
        var status = transient ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status502BadGateway;
        if (_log.ShouldLog(service, out var unlogged))
        {
            // daprd's answer says it all (operation, status, errorCode, message); its stack trace here is only the call's.
            if (DaprApiException.Find(exception) is { } sidecar)
                LogSidecarFailed(httpContext.Request.Method, httpContext.Request.Path, sidecar.Message, status, unlogged, LogInterval.TotalSeconds);
            else
                LogUnavailable(exception, httpContext.Request.Method, httpContext.Request.Path, status, unlogged, LogInterval.TotalSeconds);
        }
        httpContext.Response.StatusCode = status;
        var storage = service == StorageService;
        if (transient)
            httpContext.Response.Headers.RetryAfter = storage ? "10" : "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = status,
                Title = Problems.TitleFor(status),
                Type = transient ? "https://tools.ietf.org/html/rfc9110#section-15.6.4" : "https://tools.ietf.org/html/rfc9110#section-15.6.3",
                Detail = exception is QdrantException { UpdateStatus: { } updateStatus }
                    ? $"{service} is busy: it accepted the write but had not applied it when it answered (\"{updateStatus}\"), so the write was not stored; what Qdrant applies of it later is never cited and is removed. Try again later. The cause is in the server log under this traceId, or under that of an earlier failure of the same kind (one is logged every 10 s)."
                    : storage && exception is KnowledgeChangeNotUndoneException notUndone
                    ? $"{service} could not write the audit record of this change to knowledge document '{notUndone.DocumentId}', and undoing the change failed too: the change IS stored (GET /v1/knowledge/documents/{notUndone.DocumentId} shows it). Its audit record is appended by system:recovered once storage is back, without a restart. The cause is in the server log under this traceId, or under that of an earlier failure of the same kind (one is logged every 10 s)."
                    : storage && Moved(exception)
                    ? $"{service} could not write: its database file was deleted, moved away or replaced while the server ran. The failed write was not stored; nothing is written until the file is back at its path. The cause is in the server log under this traceId, or under that of an earlier failure of the same kind (one is logged every 10 s)."
                    : storage
                    ? $"{service} could not write: the disk is full or failing. The failed write was not stored; try again later. The cause is in the server log under this traceId, or under that of an earlier failure of the same kind (one is logged every 10 s)."
                    : transient
                    ? $"{service} did not complete the request; try again later. The cause is in the server log under this traceId, or under that of an earlier failure of the same kind (one is logged every 10 s)."
                    : $"{service} refused the request: its configuration or this server's needs attention. The cause is in the server log under this traceId, or under that of an earlier failure of the same kind (one is logged every 10 s).",
            },
        });
    }

    private static bool Moved(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is DatabaseFileMovedException)
                return true;
        return false;
    }

    /// <summary>The service a failure comes from and whether it is worth retrying; null for anything else (a bug: 500).</summary>
    internal static (string Service, bool Transient)? Classify(Exception exception) => exception switch
    {
        // An update status means a write was accepted but not applied in time (Qdrant busy); no status code and no inner
        // exception, a collection this store cannot use.
        QdrantException q => ("Qdrant, the knowledge store,", q.UpdateStatus is not null || (q.StatusCode is null ? q.InnerException is not null : IsTransient(q.StatusCode.Value))),
        // Lost again right after it was restored: the next request restores it once more.
        KnowledgeStoreLostException lost => ((lost.InnerException is { } inner ? Classify(inner)?.Service : null) ?? "The knowledge store", true),
        // daprd failing a call of ours, or failing a call an actor's turn made (it comes back as the turn's error).
        // A 4xx about where the actor is (not placed yet, moved off the sidecar mid-turn) is transient too: a later call succeeds.
        _ when DaprApiException.Find(exception) is { } d => ("The Dapr sidecar (daprd)", d.StatusCode is not { } code || IsTransient(code) || d.ActorNotHere),
        EmbeddingServiceException em => ("The embedding endpoint", em.StatusCode is { } code && IsTransient(code)),
        ChatModelException chat => ("The chat model endpoint", chat.StatusCode is { } code && IsTransient(code)),
        TimeoutRejectedException => ("A service this server depends on", true),
        HttpRequestException http => ("A service this server depends on", http.StatusCode is not { } code || IsTransient(code)),
        _ when SqliteWriter.IsStorageFailure(exception) => (StorageService, true),
        _ => null,
    };

    private static bool IsTransient(System.Net.HttpStatusCode code) =>
        (int)code >= 500 || code is System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.RequestTimeout;

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path}: the Dapr sidecar failed ({Reason}); answered {Status} ({Unlogged} more such failures since the last one logged; logged at most once per {Interval} s)")]
    private partial void LogSidecarFailed(string method, string path, string reason, int status, int unlogged, double interval);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path}: a dependency failed; answered {Status} ({Unlogged} more such failures since the last one logged; logged at most once per {Interval} s)")]
    private partial void LogUnavailable(Exception exception, string method, string path, int status, int unlogged, double interval);
}
