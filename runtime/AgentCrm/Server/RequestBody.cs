using Microsoft.AspNetCore.Http.Features;

namespace AgentCrm.Server;

internal static class RequestBody
{
    /// <summary>
    /// <paramref name="body"/> without one leading UTF-8 byte order mark: Windows tools (PowerShell 5, .NET's UTF8Encoding(true))
    /// write it, it is no part of JSON, and RFC 8259 §8.1 lets a reader ignore it. Every body reader takes it off the same way.
    /// </summary>
    public static ReadOnlyMemory<byte> WithoutBom(ReadOnlyMemory<byte> body) => body.Span.StartsWith("\uFEFF"u8) ? body[3..] : body;

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

    /// <summary>
    /// The body is multipart/form-data, the one form the uploads read. Not <see cref="HttpRequest.HasFormContentType"/>: that is
    /// true for application/x-www-form-urlencoded too, which is what <c>curl -d</c>/<c>--data-binary @file</c> sends unless told
    /// otherwise, and read as a form it made a document's text a field name ("Unknown part '# X…'") or a malformed multipart body.
    /// </summary>
    public static bool IsMultipart(HttpRequest request) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);

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

    /// <summary>
    /// Adds to <paramref name="errors"/> a 400 entry for each part (file or field) of <paramref name="form"/> that is not one of
    /// <paramref name="known"/>: a misspelt name (`tag` for `tags`) is refused, not ignored with what it carried. Names ignore case,
    /// as the form's lookups do; the message suggests the near name among <paramref name="documented"/> (default: all of
    /// <paramref name="known"/>), if any, and says what the endpoint reads (<paramref name="reads"/>): an alias the endpoint
    /// accepts but does not document is never suggested beside a message that lists other names. A part given more than once
    /// (two `file` parts, a field and a file of one name) is refused too: the endpoints read one of each, and the others
    /// would be dropped unsaid; and so is one of <paramref name="textFields"/> sent as a file (`-F id=@id.txt`: the endpoint
    /// reads those as text fields only), or one of <paramref name="fileParts"/> sent as a text field (`-F "file=&lt;x.csv"`: the
    /// endpoint reads those as files only, and would answer that the part it was sent is missing).
    /// </summary>
    public static void RefuseBadParts(IFormCollection form, IReadOnlyCollection<string> known, string reads, Dictionary<string, string[]> errors,
        IReadOnlyCollection<string>? documented = null, IReadOnlyCollection<string>? textFields = null, IReadOnlyCollection<string>? fileParts = null)
    {
        foreach (var name in form.Keys.Concat(form.Files.Select(f => f.Name)).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (!known.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                errors[name] = [Agents.Text.EditDistance.Closest(name, documented ?? known) is { } closest
                    ? $"Unknown part '{name}' (did you mean {closest}?); {reads}."
                    : $"Unknown part '{name}'; {reads}."];
                continue;
            }
            var times = form.Keys.Where(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)).Sum(k => form[k].Count)
                + form.Files.Count(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
            if (times > 1)
                errors[name] = [$"`{name}` is given {times} times; give each part once."];
            else if (textFields?.Contains(name, StringComparer.OrdinalIgnoreCase) == true && form.Files.Any(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)))
                errors[name] = [$"`{name}` is a text field, not a file: send it as -F {name}=value."];
            else if (fileParts?.Contains(name, StringComparer.OrdinalIgnoreCase) == true && form.ContainsKey(name))
                errors[name] = [$"`{name}` is a file, not a text field: send it as -F {name}=@PATH (-F \"{name}=<PATH\" sends the file's content as a text field)."];
        }
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The body as text; or, with an empty text, 413 (<paramref name="tooLarge"/>) past <paramref name="limit"/> bytes
    /// or 400 naming the line when it is not UTF-8: bytes are never silently replaced by U+FFFD.
    /// </summary>
    public static async Task<(string Text, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Error)> ReadTextAsync(
        HttpRequest request, long limit, string tooLarge, CancellationToken cancellationToken)
    {
        if (await ReadAsync(request, limit, cancellationToken) is not { } bytes)
            return ("", Problems.TooLarge(tooLarge));
        try
        {
            return (StrictUtf8.GetString(bytes.Span), null);
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            var line = 1 + bytes.Span[..Math.Clamp(ex.Index, 0, bytes.Length)].Count((byte)'\n');
            return ("", Problems.Validation(new Dictionary<string, string[]> { ["$"] = [$"line {line}: the body is not valid UTF-8 text."] }));
        }
    }
}
