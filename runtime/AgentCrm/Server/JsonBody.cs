using System.Text.Json;
using System.Text.Json.Serialization;
using AgentCrm.Sandbox.Cases;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Server;

/// <summary>
/// Strict JSON request bodies for the write endpoints: a size limit, a nesting limit, field names exactly as
/// documented (camelCase: <c>Reason</c> is an unknown field, as <c>/v1/events</c> and a manifest answer it), no unknown fields,
/// no field given twice, UTF-8 strings only, enums by name only, and every failure as a 4xx ProblemDetails
/// naming the JSON path at fault.
/// </summary>
internal static class JsonBody
{
    /// <summary>The one nesting rule for every body, JSON and YAML alike.</summary>
    public const int MaxDepth = AgentCrm.Sandbox.Cases.SafeYaml.MaxDepth;

    public static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        MaxDepth = MaxDepth,
        // The Web defaults match names in any case; the contract (API.md) is camelCase, as every answer writes it.
        PropertyNameCaseInsensitive = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        AllowTrailingCommas = false,
        NumberHandling = JsonNumberHandling.Strict,
        // JsonText refuses exact repeats with their path; this catches any other way two entries bind to one member.
        AllowDuplicateProperties = false,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    /// <summary>
    /// The body as <typeparamref name="T"/>; an empty body is null (the caller decides whether that is allowed). A top-level
    /// field of <paramref name="nullRefused"/> given as <c>null</c> is a 400 naming it with its message: a field that may be
    /// left out for a default but whose null would read as that default where the caller may have meant something else.
    /// </summary>
    public static async Task<(T? Value, ProblemHttpResult? Error)> ReadAsync<T>(HttpRequest request, long limit, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? nullRefused = null)
        where T : class
    {
        if (request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) && !type.Contains("+json", StringComparison.OrdinalIgnoreCase))
            return (null, Problems.UnsupportedType($"This endpoint reads application/json, not '{Problems.Clip(type, 60)}'."));
        var bytes = await RequestBody.ReadAsync(request, limit, cancellationToken);
        if (bytes is null)
            return (null, Problems.TooLarge($"The body is larger than {limit} bytes."));
        bytes = RequestBody.WithoutBom(bytes.Value);
        if (bytes.Value.Length == 0 || bytes.Value.Span.Trim(" \t\r\n"u8).IsEmpty)
            return (null, null);
        if (TooDeep(bytes.Value.Span) is { } line)
            return (null, Problems.Validation(new Dictionary<string, string[]> { ["$"] = [$"The JSON is nested deeper than {MaxDepth} levels (line {line})."] }));
        if (JsonText.Find(bytes.Value.Span) is { } fault)
            return (null, Problems.Validation(new Dictionary<string, string[]> { [fault.Field] = [fault.Message] }));
        try
        {
            var value = JsonSerializer.Deserialize<T>(bytes.Value.Span, Strict);
            if (nullRefused is not null && NullField(bytes.Value.Span, nullRefused) is { } field)
                return (null, Problems.Validation(new Dictionary<string, string[]> { [field] = [nullRefused[field]] }));
            return (value, null);
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "$" : ex.Path.StartsWith("$.", StringComparison.Ordinal) ? ex.Path[2..] : ex.Path;
            var message = JsonSyntax.IsSyntax(ex) ? JsonSyntax.Describe(ex, bytes.Value.Span) : Readable(ex.Message.Split(" Path:")[0].Split(" LineNumber:")[0]);
            return (null, Problems.Validation(new Dictionary<string, string[]> { [path] = [message] }));
        }
    }

    /// <summary>The first top-level field of an object <paramref name="json"/> (valid JSON) given as null among <paramref name="fields"/>, or null.</summary>
    private static string? NullField(ReadOnlySpan<byte> json, IReadOnlyDictionary<string, string> fields)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null && fields.ContainsKey(name))
                return name;
            reader.Skip();
        }
        return null;
    }

    /// <summary>
    /// The line where the body passes <see cref="MaxDepth"/>, or null. Checked over the whole text first, so
    /// the nesting rule holds even where the typed read would stop earlier at a mistyped value.
    /// </summary>
    private static long? TooDeep(ReadOnlySpan<byte> json)
    {
        // One level of headroom so the reader itself never stops on depth: the check is ours, not its message text.
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
        try
        {
            while (reader.Read())
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= MaxDepth)
                    return json[..(int)reader.TokenStartIndex].Count((byte)'\n') + 1;
        }
        catch (JsonException)
        {
            // Malformed JSON: the typed read reports it with its path.
        }
        return null;
    }

    /// <summary>System.Text.Json's message without .NET type names (no internals in responses).</summary>
    public static string Readable(string message)
    {
        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
            return $"The JSON is nested deeper than {MaxDepth} levels.";
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
            return "Unknown field" + (message.Split('\'') is { Length: >= 2 } parts ? $" '{parts[1]}'" : "") + "; remove it.";
        if (message.StartsWith("Duplicate propert", StringComparison.Ordinal))
            return "Duplicate field" + (message.Split('\'') is { Length: >= 2 } names ? $" '{names[1]}'" : "") + "; send each field once.";
        if (message.Contains("could not be converted", StringComparison.Ordinal))
            return "The value has the wrong type or is not one of the allowed values for this field.";
        if (message.Contains("missing required properties", StringComparison.Ordinal) || message.Contains("non-nullable", StringComparison.Ordinal)
            || message.Contains("doesn't allow setting null", StringComparison.Ordinal))
            return "A required field is missing or null.";
        return message.Contains("AgentCrm.", StringComparison.Ordinal) || message.Contains("System.", StringComparison.Ordinal)
            ? "The body is not valid JSON for this endpoint."
            : message;
    }
}
