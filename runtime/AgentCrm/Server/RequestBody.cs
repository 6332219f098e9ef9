using Microsoft.AspNetCore.Http.Features;

namespace AgentCrm.Server;

internal static class RequestBody
{
    /// <summary>The whole body, or null when it is larger than <paramref name="limit"/> bytes.</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
            return null;
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = limit + 1;
        using var buffer = new MemoryStream(request.ContentLength is { } n ? (int)n : 4096);
        var chunk = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                    return null;
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        return new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The form, or 413 past <paramref name="limit"/> bytes (declared or streamed in chunks), or 400 when the multipart body is malformed.</summary>
    public static async Task<(IFormCollection? Form, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Error)> ReadFormAsync(
        HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
            return (null, Problems.TooLarge($"An upload is at most {limit} bytes."));
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = limit;
        try
        {
            return (await request.ReadFormAsync(cancellationToken), null);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.TooLarge($"An upload is at most {limit} bytes."));
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return (null, Problems.Validation(new Dictionary<string, string[]> { ["$"] = ["The multipart/form-data body is malformed (a part or the closing boundary is missing)."] }));
        }
    }

    public static async Task<string?> ReadTextAsync(HttpRequest request, long limit, CancellationToken cancellationToken) =>
        await ReadAsync(request, limit, cancellationToken) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes.Span) : null;
}
