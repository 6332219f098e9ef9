using AgentCrm.Dapr;
using AgentCrm.Knowledge.Chat;
using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Stores.Qdrant;
using Polly.Timeout;
using Microsoft.AspNetCore.Diagnostics;

namespace AgentCrm.Server;

/// <summary>
/// A request that fails because a service the server depends on is down (Qdrant, the Dapr sidecar, an embedding or chat
/// endpoint) is answered 503 naming that service, with Retry-After, not a bare 500; one that the service refuses (a
/// wrong key, a collection of another shape) 502 without it. The cause goes to the log under the request's traceId; the
/// answer carries no internal addresses.
/// </summary>
internal sealed partial class DependencyFailureHandler(IProblemDetailsService problems, ILogger<DependencyFailureHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (Classify(exception) is not var (service, transient) || httpContext.Response.HasStarted)
            return false;
        // Down or overloaded: 503, worth retrying. Refusing what this server sends (a key, a collection of the wrong shape):
        // 502 without Retry-After, since retrying cannot help until its configuration is fixed.
        var status = transient ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status502BadGateway;
        LogUnavailable(exception, httpContext.Request.Method, httpContext.Request.Path, status);
        httpContext.Response.StatusCode = status;
        if (transient)
            httpContext.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = status,
                Title = transient ? "Unavailable" : "Bad gateway",
                Type = transient ? "https://tools.ietf.org/html/rfc9110#section-15.6.4" : "https://tools.ietf.org/html/rfc9110#section-15.6.3",
                Detail = transient
                    ? $"{service} did not complete the request; try again later. The cause is in the server log under this traceId."
                    : $"{service} refused the request: its configuration or this server's needs attention. The cause is in the server log under this traceId.",
            },
        });
    }

    /// <summary>The service a failure comes from and whether it is worth retrying; null for anything else (a bug: 500).</summary>
    internal static (string Service, bool Transient)? Classify(Exception exception) => exception switch
    {
        QdrantException q => ("Qdrant, the knowledge store,", q.StatusCode is null ? q.InnerException is not null : IsTransient(q.StatusCode.Value)),
        DaprApiException d => ("The Dapr sidecar (daprd)", d.StatusCode is not { } code || IsTransient(code)),
        EmbeddingServiceException em => ("The embedding endpoint", em.StatusCode is { } code && IsTransient(code)),
        ChatModelException chat => ("The chat model endpoint", chat.StatusCode is { } code && IsTransient(code)),
        TimeoutRejectedException => ("A service this server depends on", true),
        HttpRequestException http => ("A service this server depends on", http.StatusCode is not { } code || IsTransient(code)),
        _ => null,
    };

    private static bool IsTransient(System.Net.HttpStatusCode code) =>
        (int)code >= 500 || code is System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.RequestTimeout;

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path}: a dependency failed; answered {Status}")]
    private partial void LogUnavailable(Exception exception, string method, string path, int status);
}
