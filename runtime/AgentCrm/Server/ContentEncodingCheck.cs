namespace AgentCrm.Server;

/// <summary>
/// Refuses a <c>/v1</c> request sent compressed (a request <c>Content-Encoding</c> other than <c>identity</c>) with
/// 415 naming the header: nothing decodes one, so a gzipped event batch was "malformed JSON: '0x1F'", a brotli body was
/// read as if plain, and a gzipped knowledge document or case file was refused as a bad file or, worse, stored as bytes.
/// Runs after authorization, like <see cref="QueryParameterCheck"/>.
/// </summary>
internal sealed class ContentEncodingCheck(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        // On the endpoint routing matched (as QueryParameterCheck), not the path: /V1/… routes too, and a path that matches
        // nothing answers 404 (or 401) as it would without the header.
        if (context.Request.Headers.ContentEncoding.ToString() is not { Length: > 0 } encoding
            || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase)
            || context.GetEndpoint() is not RouteEndpoint endpoint
            || endpoint.RoutePattern.RawText?.StartsWith("/v1", StringComparison.Ordinal) != true)
            return next(context);
        var message = $"Content-Encoding '{(encoding.Length <= 40 ? encoding : encoding[..40] + "…")}' is not supported; send the body uncompressed.";
        return Problems.Validation(new Dictionary<string, string[]> { ["Content-Encoding"] = [message] }, StatusCodes.Status415UnsupportedMediaType, message)
            .ExecuteAsync(context);
    }
}
