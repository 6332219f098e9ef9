using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AgentCrm.Server;

/// <summary>
/// The limits on a request's URL and headers, answered as ProblemDetails. Kestrel refuses a request past its own limits
/// before any middleware runs, with a bare 431 or 414, so its limits are raised to a ceiling <see cref="KestrelFactor"/>
/// times ours and this middleware, first in the pipeline (before authentication, reading no body), enforces ours.
/// Only a request past the ceiling still gets Kestrel's bare answer. The limits are Kestrel's defaults, which they were
/// before: 32 KiB of headers, 100 header lines, a request line of 8 KiB.
/// </summary>
internal sealed class RequestHeadLimits(RequestDelegate next)
{
    public const int MaxHeaderBytes = 32 * 1024;
    public const int MaxHeaderCount = 100;
    public const int MaxUrlBytes = 8 * 1024;
    public const int KestrelFactor = 8;

    /// <summary>Kestrel's own limits: far enough above ours that what ours refuse reaches this middleware.</summary>
    public static void RaiseKestrelLimits(KestrelServerOptions options)
    {
        options.Limits.MaxRequestHeadersTotalSize = MaxHeaderBytes * KestrelFactor;
        options.Limits.MaxRequestHeaderCount = MaxHeaderCount * KestrelFactor;
        options.Limits.MaxRequestLineSize = MaxUrlBytes * KestrelFactor;
    }

    public Task InvokeAsync(HttpContext context)
    {
        // The target as sent (path and query string, still percent-encoded), which is what the request line carries.
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Empty;
        var urlBytes = Encoding.UTF8.GetByteCount(target);
        if (urlBytes > MaxUrlBytes)
            return RefuseAsync(context, StatusCodes.Status414UriTooLong, "url",
                $"The URL (path and query string) is {urlBytes} bytes; at most {MaxUrlBytes} are accepted.");

        // Counted as Kestrel counts them: each header line's name, ": ", value and line end.
        long headerBytes = 0;
        var headerCount = 0;
        foreach (var (name, values) in context.Request.Headers)
            foreach (var value in values)
            {
                headerBytes += name.Length + (value?.Length ?? 0) + 4;
                headerCount++;
            }
        if (headerBytes > MaxHeaderBytes)
            return RefuseAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, "headers",
                $"The request headers are {headerBytes} bytes; at most {MaxHeaderBytes} are accepted.");
        if (headerCount > MaxHeaderCount)
            return RefuseAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, "headers",
                $"The request has {headerCount} header lines; at most {MaxHeaderCount} are accepted.");
        return next(context);
    }

    private static Task RefuseAsync(HttpContext context, int status, string field, string detail)
    {
        // Like Kestrel's own answer, the connection is not kept: a client sending this much may be sending more.
        context.Response.Headers.Connection = "close";
        return TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [detail] })
        {
            Status = status,
            Title = Problems.TitleFor(status),
            Detail = detail,
            Type = status == StatusCodes.Status414UriTooLong
                ? "https://tools.ietf.org/html/rfc9110#section-15.5.15"
                : "https://tools.ietf.org/html/rfc6585#section-5",
        }).ExecuteAsync(context);
    }
}
