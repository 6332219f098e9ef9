using Microsoft.Net.Http.Headers;

namespace AgentCrm.Server;

/// <summary>
/// Refuses a <c>/v1</c> request whose body is not plain UTF-8 with 415 naming the header at fault:
/// <list type="bullet">
/// <item>sent compressed (a request <c>Content-Encoding</c> other than <c>identity</c>): nothing decodes one, so a gzipped
/// event batch was "malformed JSON: '0x1F'", a brotli body was read as if plain, and a gzipped knowledge document or case
/// file was refused as a bad file or, worse, stored as bytes;</item>
/// <item>declared in another character set (<c>charset=utf-16</c>, <c>iso-8859-1</c>…): every body is read as UTF-8, so a
/// UTF-16 event was "malformed JSON" at its first byte and a Latin-1 document "not UTF-8" without saying why.</item>
/// </list>
/// Runs after authorization, like <see cref="QueryParameterCheck"/>.
/// </summary>
internal sealed class BodyEncodingCheck(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        // On the endpoint routing matched (as QueryParameterCheck), not the path: /V1/… routes too, and a path that matches
        // nothing answers 404 (or 401) as it would without the header.
        if (context.GetEndpoint() is not RouteEndpoint endpoint
            || endpoint.RoutePattern.RawText?.StartsWith("/v1", StringComparison.Ordinal) != true)
            return next(context);
        if (context.Request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding
            && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            return Refuse(context, "Content-Encoding", $"Content-Encoding '{Problems.Clip(encoding, 40)}' is not supported; send the body uncompressed.");
        // An empty body has no encoding to be wrong about (Apache's StringEntity labels even "" ISO-8859-1).
        if (context.Request.ContentLength != 0 && Charset(context.Request.ContentType) is { } charset && !IsUtf8(charset))
            return Refuse(context, "Content-Type", $"charset '{Problems.Clip(charset, 40)}' is not supported; send the body as UTF-8 (charset=utf-8, or no charset).");
        return next(context);
    }

    /// <summary>The charset parameter of <paramref name="contentType"/>, unquoted, or null when there is none (or the header does not parse: binding answers that).</summary>
    private static string? Charset(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var parsed) && parsed.Charset.HasValue
            ? HeaderUtilities.RemoveQuotes(parsed.Charset).ToString()
            : null;

    /// <summary>UTF-8 by any of its registered names, or US-ASCII (a subset: its bytes read the same).</summary>
    private static bool IsUtf8(string charset) =>
        charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
        || charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase) || charset.Equals("ascii", StringComparison.OrdinalIgnoreCase);

    private static Task Refuse(HttpContext context, string header, string message) =>
        Problems.Validation(new Dictionary<string, string[]> { [header] = [message] }, StatusCodes.Status415UnsupportedMediaType, message)
            .ExecuteAsync(context);
}
