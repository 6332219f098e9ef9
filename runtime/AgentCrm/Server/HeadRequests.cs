namespace AgentCrm.Server;

/// <summary>
/// Answers HEAD on every GET endpoint as GET (RFC 9110 §9.3.2: the same status and headers, no body). Minimal APIs'
/// <c>MapGet</c> matches GET only, so a load balancer's <c>HEAD /healthz</c> was 405. Runs before routing and turns the
/// request into a GET, so the endpoint, authentication, authorization, rate limiting, the query check and every
/// ProblemDetails answer are exactly GET's; Kestrel sends no body for a HEAD request whatever the handler writes (it
/// keeps the method it parsed from the request line). A path that takes no GET answers 405, as before.
/// </summary>
internal sealed class HeadRequests(RequestDelegate next)
{
    private static readonly object Marker = new();

    /// <summary>Whether the client sent HEAD (the endpoint sees GET): a stream, which never ends by itself, ends after its headers.</summary>
    public static bool IsHead(HttpContext context) => context.Items.ContainsKey(Marker);

    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsHead(context.Request.Method))
        {
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
