using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AgentCrm.Access;

/// <summary>Authentication, roles, the per-credential rate limit and the security headers, wired into the server.</summary>
public static class AccessHosting
{
    public static void AddAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<AccountAssignments>();
        builder.Services.AddSingleton<JwtValidator>();
        builder.Services.AddSingleton<Credentials>();
        builder.Services.AddAuthentication(CredentialHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, CredentialHandler>(CredentialHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                // Operations and Dapr protocol endpoints are not rate limited: the platform polls them.
                if (!context.Request.Path.StartsWithSegments("/v1"))
                    return RateLimitPartition.GetNoLimiter("ops");
                var settings = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
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
            o.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = "This credential has exceeded its request rate (Auth:RequestsPerSecond); retry after a second.",
                        Type = "https://tools.ietf.org/html/rfc6585#section-4",
                    },
                });
            };
        });
    }

    /// <summary>The security headers on every answer, first in the pipeline so answers refused before authentication carry them too.</summary>
    public static void UseSecurityHeaders(this WebApplication app) =>
        app.Use(static (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";
            if (context.Request.Path.StartsWithSegments("/v1"))
                headers.CacheControl = "no-store";
            return next(context);
        });

    public static void UseAccess(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
    }
}
