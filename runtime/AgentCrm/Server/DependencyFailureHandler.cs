using AgentCrm.Dapr;
using AgentCrm.Knowledge.Stores.Qdrant;
using Microsoft.AspNetCore.Diagnostics;

namespace AgentCrm.Server;

/// <summary>
/// A request that fails because a service the server depends on is down or refusing (Qdrant, the Dapr sidecar, an
/// embedding endpoint) is answered 503 naming that service, not a bare 500: the caller can retry and ops know where
/// to look. The cause goes to the log under the request's traceId; the answer carries no internal addresses.
/// </summary>
internal sealed partial class DependencyFailureHandler(IProblemDetailsService problems, ILogger<DependencyFailureHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var service = exception switch
        {
            QdrantException => "Qdrant, the knowledge store,",
            DaprApiException => "The Dapr sidecar (daprd)",
            HttpRequestException => "A service this server depends on",
            _ => null,
        };
        if (service is null || httpContext.Response.HasStarted)
            return false;
        LogUnavailable(exception, httpContext.Request.Method, httpContext.Request.Path);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Unavailable",
                Type = "https://tools.ietf.org/html/rfc9110#section-15.6.4",
                Detail = $"{service} did not complete the request; try again later. The cause is in the server log under this traceId.",
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path}: a dependency failed; answered 503")]
    private partial void LogUnavailable(Exception exception, string method, string path);
}
