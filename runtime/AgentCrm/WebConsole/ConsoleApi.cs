using System.Reflection;

namespace AgentCrm.WebConsole;

/// <summary>
/// The web console for CSMs and reviewers (DESIGN.md, "Users"): one page and its script and style, served from the
/// assembly, anonymous — the page holds no data; it calls the HTTP API with the credential the user gives it, so it may
/// do exactly what that credential may. Its own Content-Security-Policy allows only this server's script, style and API.
/// </summary>
public static class ConsoleApi
{
    /// <summary>Scripts and styles from this server only, no inline script, no other origin: a brief's text can never run as code.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly (string Path, string Resource, string ContentType)[] Assets =
    [
        ("/console", "console.html", "text/html; charset=utf-8"),
        ("/console/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/console/app.css", "app.css", "text/css; charset=utf-8"),
    ];

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        foreach (var (path, resource, contentType) in Assets)
        {
            var bytes = Read(resource);
            app.MapGet(path, (HttpContext context) =>
            {
                context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
                context.Response.Headers.CacheControl = "no-cache";
                return TypedResults.Bytes(bytes, contentType);
            }).WithTags("Console").ExcludeFromDescription();
        }
        // A browser pointed at the server's address lands on the console.
        app.MapGet("/", () => TypedResults.Redirect("/console")).ExcludeFromDescription();
        return app;
    }

    private static byte[] Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"AgentCrm.WebConsole.{name}")
            ?? throw new InvalidOperationException($"The console asset {name} is not embedded in the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
