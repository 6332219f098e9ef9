using System.Text.Json;

namespace AgentCrm.Server;

/// <summary>
/// Endpoints that read no body refuse one with content: a CSM's <c>{"useful":false}</c> sent to acknowledge was answered 200
/// and dropped, and a shadow call's <c>{"version":"0.9.0"}</c> acted on the version in the path. An empty body, whitespace,
/// <c>null</c> or <c>{}</c> (what generic clients send) is fine, whatever its declared type (curl <c>-d ''</c> sends a form type).
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
        var bytes = await RequestBody.ReadAsync(request, Limit, cancellationToken);
        if (bytes is { } read && (read.Span.Trim(" \t\r\n"u8) is var trimmed && (trimmed.IsEmpty || trimmed.SequenceEqual("null"u8))))
            return null;
        var (isObject, field) = bytes is { } b ? Shape(b) : (false, null);
        if (isObject && field is null)
            return null;
        var message = (field is null ? "This endpoint takes no body." : $"'{Clip(field)}' is not read here: this endpoint takes no body.") + (instead is null ? "" : " " + instead);
        return Problems.Validation(new Dictionary<string, string[]> { [field is null ? "$" : Clip(field)] = [message] }, detail: "Nothing was changed.");
    }

    /// <summary>Whether the body is a JSON object, and its first property (what the caller meant to send).</summary>
    private static (bool IsObject, string? FirstProperty) Shape(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? (true, document.RootElement.EnumerateObject().Select(p => p.Name).FirstOrDefault())
                : (false, null);
        }
        catch (JsonException)
        {
            return (false, null);
        }
    }

    private static string Clip(string value) => value.Length <= 80 ? value : value[..80] + "…";
}
