using System.Text;
using System.Text.Json;

namespace AgentCrm.Server;

/// <summary>
/// A JSON syntax error in one line with a 1-based line and column: System.Text.Json's own message ends in
/// "LineNumber: 0 | BytePositionInLine: 6." (0-based, in bytes), which beside our "line 1" read as a contradiction.
/// </summary>
internal static class JsonSyntax
{
    /// <summary><c>Malformed JSON at line 1, column 7: the JSON ends before an object or array is closed.</c></summary>
    public static string Describe(JsonException ex, ReadOnlySpan<byte> json)
    {
        var reason = Reason(ex.Message);
        return ex.LineNumber is { } line && ex.BytePositionInLine is { } bytes
            ? $"Malformed JSON at line {line + 1}, column {Column(json, line, bytes)}: {reason}"
            : $"Malformed JSON: {reason}";
    }

    /// <summary>
    /// One line of an NDJSON body, which is parsed alone (its own line is always 1): <c>malformed JSON at column 7: …</c>,
    /// for the caller to prefix with the body's line number.
    /// </summary>
    public static string DescribeLine(JsonException ex, ReadOnlySpan<byte> line) =>
        ex.LineNumber is { } l && ex.BytePositionInLine is { } bytes
            ? $"malformed JSON at column {Column(line, l, bytes)}: {Reason(ex.Message)}"
            : $"malformed JSON: {Reason(ex.Message)}";

    /// <summary>Whether a serializer's exception is the reader's (the text is not JSON), not a value that does not fit its field.</summary>
    public static bool IsSyntax(JsonException ex) => ex.InnerException is JsonException;

    private static string Reason(string message)
    {
        var text = message.Split(" LineNumber:", 2)[0].Split(" Path:", 2)[0].Trim();
        if (text.StartsWith("Expected depth to be zero at the end of the JSON payload", StringComparison.Ordinal)
            || text.Contains("reached end of data", StringComparison.Ordinal))
            return "the JSON ends before its value is complete (an object or array is not closed, or a value is missing).";
        if (text.StartsWith("The input does not contain any JSON tokens", StringComparison.Ordinal))
            return "there is no JSON value.";
        if (text.Contains("contains a trailing comma", StringComparison.Ordinal))
            return $"a comma after the last {(text.Contains("JSON array", StringComparison.Ordinal) ? "item of a list" : "field of an object")}; remove it (JSON allows no trailing comma).";
        return text.EndsWith('.') ? text : text + ".";
    }

    /// <summary>The 1-based column, in characters, of byte <paramref name="bytes"/> of line <paramref name="line"/> (both 0-based).</summary>
    private static long Column(ReadOnlySpan<byte> json, long line, long bytes)
    {
        var start = 0;
        for (var l = 0L; l < line; l++)
        {
            var newline = json[start..].IndexOf((byte)'\n');
            if (newline < 0)
                return bytes + 1;
            start += newline + 1;
        }
        var end = (int)Math.Min(json.Length, start + bytes);
        return Encoding.UTF8.GetCharCount(json[start..end]) + 1;
    }
}
