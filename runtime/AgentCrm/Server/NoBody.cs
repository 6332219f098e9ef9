using System.Text.Json;

namespace AgentCrm.Server;

/// <summary>
/// Endpoints that read no body refuse one with content: a CSM's <c>{"useful":false}</c> sent to acknowledge was answered 200
/// and dropped, and a shadow call's <c>{"version":"0.9.0"}</c> acted on the version in the path. An empty body, whitespace,
/// <c>null</c> or <c>{}</c> (a leading byte order mark ignored, as every body reader ignores it) (what generic clients send) is fine, whatever its declared type (curl <c>-d ''</c> sends a form type).
/// </summary>
internal static class NoBody
{
    /// <summary>The most of a body read to tell what it holds; beyond, it is refused unread.</summary>
    private const int Limit = 16 * 1024;

    /// <summary>Refuses a body with content (400 naming its first field, or <c>$</c>); <paramref name="instead"/> says where such content goes.</summary>
    public static RouteHandlerBuilder TakesNoBody(this RouteHandlerBuilder builder, string? instead = null) =>
        builder.AddEndpointFilter(async (context, next) =>
            await ProblemAsync(context.HttpContext.Request, instead, context.HttpContext.RequestAborted) ?? await next(context));

    private static async Task<IResult?> ProblemAsync(HttpRequest request, string? instead, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0)
            return null;
        var bytes = await RequestBody.ReadAsync(request, Limit, cancellationToken) is { } read ? RequestBody.WithoutBom(read) : (ReadOnlyMemory<byte>?)null;
        if (bytes is { } content && content.Span.Trim(" \t\r\n"u8).IsEmpty)
            return null;
        var (empty, field) = bytes is { } b ? Shape(b) : (false, null);
        if (empty)
            return null;
        var at = field is null ? "$" : Problems.Clip(field, 80);
        var message = (field is null ? "This endpoint takes no body." : $"'{at}' is not read here: this endpoint takes no body.") + (instead is null ? "" : " " + instead);
        return Problems.Validation(new Dictionary<string, string[]> { [at] = [message] }, detail: "Nothing was changed.");
    }

    /// <summary>Whether the body says nothing (<c>null</c>, <c>{}</c>), and else the first property of an object (what the caller meant to send).</summary>
    private static (bool Empty, string? FirstProperty) Shape(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
                return (true, null);
            var first = root.ValueKind == JsonValueKind.Object ? root.EnumerateObject().Select(p => p.Name).FirstOrDefault() : null;
            return (root.ValueKind == JsonValueKind.Object && first is null, first);
        }
        catch (JsonException)
        {
            return (false, null);
        }
    }
}
