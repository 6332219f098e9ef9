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

    /// <summary>
    /// The security headers on every answer, first in the pipeline so answers refused before authentication carry them too;
    /// set again as the answer starts where missing, since an exception handler clears the headers before it writes its
    /// ProblemDetails (a body malformed at the HTTP level was answered without them).
    /// </summary>
    public static void UseSecurityHeaders(this WebApplication app) =>
        app.Use(static (context, next) =>
        {
            SetSecurityHeaders(context, overwrite: true);
            context.Response.OnStarting(static state =>
            {
                SetSecurityHeaders((HttpContext)state, overwrite: false);
                return Task.CompletedTask;
            }, context);
            return next(context);
        });

    private static void SetSecurityHeaders(HttpContext context, bool overwrite)
    {
        var headers = context.Response.Headers;
        void Set(string name, string value)
        {
            if (overwrite || !headers.ContainsKey(name))
                headers[name] = value;
        }
        Set("X-Content-Type-Options", "nosniff");
        Set("X-Frame-Options", "DENY");
        Set("Referrer-Policy", "no-referrer");
        Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'");
        if (context.Request.Path.StartsWithSegments("/v1"))
            Set("Cache-Control", "no-store");
    }

    public static void UseAccess(this WebApplication app)
    {
        // Built now rather than at the first stream: its gauge and counters are exported from the start, at 0.
        app.Services.GetRequiredService<StreamSlots>();
        app.UseAuthentication();
        app.UseMiddleware<CallerRateLimit>();
        app.UseAuthorization();
    }
}
