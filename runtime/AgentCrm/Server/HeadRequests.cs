namespace AgentCrm.Server;

/// <summary>
/// Answers HEAD on every GET endpoint as GET (RFC 9110 §9.3.2: the same status and headers, no body). Minimal APIs'
/// <c>MapGet</c> matches GET only, so a load balancer's <c>HEAD /healthz</c> was 405. Runs before routing and turns the
/// request into a GET, so the endpoint, authentication, authorization, rate limiting, the query check and every
/// ProblemDetails answer are exactly GET's; Kestrel sends no body for a HEAD request whatever the handler writes (it
/// keeps the method it parsed from the request line). A path that takes no GET answers 405, as before; a 405's <c>Allow</c> lists HEAD
/// wherever it lists GET.
/// </summary>
internal sealed class HeadRequests(RequestDelegate next)
{
    private static readonly object Marker = new();

    /// <summary>Whether the client sent HEAD (the endpoint sees GET): a stream, which never ends by itself, ends after its headers.</summary>
    public static bool IsHead(HttpContext context) => context.Items.ContainsKey(Marker);

    private static Task AllowHead(object state)
    {
        var response = ((HttpContext)state).Response;
        if (response.StatusCode == StatusCodes.Status405MethodNotAllowed && response.Headers.Allow.ToString() is { Length: > 0 } allow)
        {
            var methods = allow.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (methods.Contains(HttpMethods.Get, StringComparer.OrdinalIgnoreCase) && !methods.Contains(HttpMethods.Head, StringComparer.OrdinalIgnoreCase))
                response.Headers.Allow = string.Join(", ", [.. methods, HttpMethods.Head]);
        }
        return Task.CompletedTask;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            // Routing's 405 lists the methods its endpoints map (Allow: GET); HEAD is answered wherever GET is.
            context.Response.OnStarting(AllowHead, context);
            await next(context);
            return;
        }
        context.Request.Method = HttpMethods.Get;
        context.Items[Marker] = true;
        try
        {
            await next(context);
        }
        finally
        {
            // What the exception handler logs, and what the log's request line says, is what the client sent.
            context.Request.Method = HttpMethods.Head;
        }
    }
}
