using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AgentCrm.Access;

/// <summary>Authentication, roles, the per-credential limits (request rate, open streams) and the security headers, wired into the server.</summary>
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
        builder.Services.AddSingleton<CallerRateLimit>();
        builder.Services.AddSingleton<StreamSlots>();
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
        // Built now rather than at the first stream: its gauge and counters are exported from the start, at 0.
        app.Services.GetRequiredService<StreamSlots>();
        app.UseAuthentication();
        app.UseMiddleware<CallerRateLimit>();
        app.UseAuthorization();
    }
}
