using Microsoft.AspNetCore.Diagnostics;

namespace AgentCrm.Server;

/// <summary>
/// A body the client did not frame as HTTP says (a malformed chunk, fewer bytes than its Content-Length, bytes arriving
/// slower than Kestrel's minimum rate) fails inside Kestrel's body stream while an endpoint reads it. That is the
/// client's doing, not a bug: its status (400, 408) as ProblemDetails naming the body, not a 500, and no error with a
/// stack trace in the log, which any client could otherwise write at will. Nothing of such a request is stored.
/// </summary>
internal sealed class BadRequestBodyHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
            return false;
        var detail = bad.StatusCode == StatusCodes.Status408RequestTimeout
            ? "The request body arrived too slowly; nothing was stored. Send it without pauses."
            : $"The request body is malformed or ended early ({bad.Message.TrimEnd('.')}); nothing was stored.";
        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["$"] = [detail] })
            {
                Status = bad.StatusCode,
                Title = Problems.TitleFor(bad.StatusCode),
                Detail = detail,
                Type = bad.StatusCode == StatusCodes.Status408RequestTimeout ? "https://tools.ietf.org/html/rfc9110#section-15.5.9" : "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            },
        });
    }
}
