using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace AgentCrm.Access;

/// <summary>
/// What the token library lets through and this server refuses, read from the token's own JSON before it is validated:
/// a header or payload that repeats a property (RFC 7515 §5.2 and RFC 7519 §7.2 let a validator refuse it; the library
/// took the last value, so <c>"role":"csm", …, "role":"admin"</c> was an admin to this server and a CSM to a parser
/// that keeps the first), and a <c>crit</c> header, which names extensions the validator must understand (RFC 7515
/// §4.1.11): this server understands none.
/// </summary>
internal static class JwtStructure
{
    /// <summary>Why the token's header or payload is refused, or null (also for a token that is not a JWS at all: the library says why).</summary>
    public static string? Problem(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
            return null;
        foreach (var (part, what) in new[] { (parts[0], "header"), (parts[1], "payload") })
        {
            byte[] json;
            try
            {
                json = Base64UrlEncoder.DecodeBytes(part);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                return null;
            }
            if (Repeated(json) is { } name)
                return $"The bearer token's {what} repeats the property '{Server.Problems.Clip(name, 64)}'.";
        }
        if (Crit(parts[0]) is { } crit)
            return $"The bearer token's header marks extensions as critical (crit: {Server.Problems.Clip(crit, 100)}), which this server does not understand.";
        return null;
    }

    /// <summary>The first property name an object in <paramref name="json"/> repeats (at any depth), or null; null too for JSON that does not parse.</summary>
    private static string? Repeated(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        var open = new Stack<HashSet<string>?>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        open.Push(new HashSet<string>(StringComparer.Ordinal));
                        break;
                    case JsonTokenType.StartArray:
                        open.Push(null);
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        open.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        // Compared as the names they decode to: "r\u006fle" is "role" to every parser.
                        var name = reader.GetString()!;
                        if (!open.Peek()!.Add(name))
                            return name;
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null;
        }
        return null;
    }

    /// <summary>The header's <c>crit</c> as it was sent, or null without one.</summary>
    private static string? Crit(string header)
    {
        try
        {
            using var document = JsonDocument.Parse(Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(header)));
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("crit", out var crit)
                ? crit.GetRawText()
                : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return null;
        }
    }
}
