using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace AgentCrm.Access;

/// <summary>
/// The per-credential token bucket on <c>/v1</c> (<c>Auth:RequestsPerSecond</c>, <c>Auth:Burst</c>): 429 ProblemDetails with
/// <c>Retry-After</c> beyond it. Not ASP.NET Core's <c>UseRateLimiter()</c>: its middleware builds an endpoint limiter whose
/// timer nothing disposes, and that timer keeps the middleware, the pipeline and the service provider reachable
/// (dotnet/aspnetcore#66434, #69259) — every server a process starts and stops stays in memory (a test run's hundreds:
/// 80 MB each, until the OOM killer). This one is a singleton its service provider disposes, timer and all.
/// </summary>
public sealed class CallerRateLimit(IOptions<AuthOptions> options, IProblemDetailsService problems) : IMiddleware, IAsyncDisposable
{
    private readonly PartitionedRateLimiter<HttpContext> _limiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
    {
        // Operations and Dapr protocol endpoints are not rate limited: the platform polls them.
        if (!context.Request.Path.StartsWithSegments("/v1"))
            return RateLimitPartition.GetNoLimiter("ops");
        var settings = options.Value;
        var caller = context.User.Identity?.IsAuthenticated == true
            ? "caller:" + Caller.From(context.User).AuditActor
            : "address:" + context.Connection.RemoteIpAddress;
        return RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings.Burst,
            TokensPerPeriod = settings.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    });

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        using (var lease = _limiter.AttemptAcquire(context))
        {
            if (lease.IsAcquired)
            {
                await next(context);
                return;
            }
        }
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = "1";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = Server.Problems.TitleFor(StatusCodes.Status429TooManyRequests),
                Detail = "This credential has exceeded its request rate (Auth:RequestsPerSecond); retry after a second.",
                Type = "https://tools.ietf.org/html/rfc6585#section-4",
            },
        });
    }

    public ValueTask DisposeAsync() => _limiter.DisposeAsync();
}
