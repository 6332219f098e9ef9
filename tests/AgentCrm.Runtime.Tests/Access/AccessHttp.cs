using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>Helpers shared by the access tests: JWT settings and tokens, ProblemDetails checks.</summary>
public static class AccessHttp
{
    public const string Issuer = "https://idp.agentcrm.test";
    public const string Audience = "agentcrm-api";
    public static readonly byte[] SigningKey = Encoding.UTF8.GetBytes("access-tests-signing-key-0123456789abcdef");
    private static readonly byte[] OtherKey = Encoding.UTF8.GetBytes("not-the-configured-key-0123456789abcdefgh");

    /// <summary>Server settings that turn on JWT bearer validation with <see cref="SigningKey"/>.</summary>
    public static Dictionary<string, string?> JwtSettings() => new()
    {
        ["Auth:Jwt:Issuer"] = Issuer,
        ["Auth:Jwt:Audience"] = Audience,
        ["Auth:Jwt:SymmetricKeys:0"] = Convert.ToBase64String(SigningKey),
    };

    public static string Token(string subject, string role, DateTime? expires = null, bool wrongKey = false, string audience = Audience)
    {
        var expiry = expires ?? DateTime.UtcNow.AddMinutes(30);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("role", role)]),
            NotBefore = expiry.AddHours(-2),
            IssuedAt = expiry.AddHours(-2),
            Expires = expiry,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(wrongKey ? OtherKey : SigningKey), SecurityAlgorithms.HmacSha256),
        });
    }

    public static void Authenticate(HttpRequestMessage request, string? apiKey, string? bearer)
    {
        if (apiKey is not null)
            request.Headers.Add("X-Api-Key", apiKey);
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
    }

    /// <summary>Null when the response is a ProblemDetails with this status and a title and detail; otherwise what is wrong.</summary>
    public static string? ProblemError(HttpStatusCode status, string? mediaType, string body)
    {
        if (mediaType != "application/problem+json")
            return $"content type {mediaType ?? "(none)"} instead of application/problem+json";
        try
        {
            var json = JsonDocument.Parse(body).RootElement;
            if (!json.TryGetProperty("status", out var s) || s.ValueKind != JsonValueKind.Number || s.GetInt32() != (int)status)
                return $"status member missing or not {(int)status}: {body}";
            if (!json.TryGetProperty("title", out var t) || string.IsNullOrWhiteSpace(t.GetString()))
                return $"no title: {body}";
            if (!json.TryGetProperty("detail", out var d) || string.IsNullOrWhiteSpace(d.GetString()))
                return $"no detail: {body}";
            return null;
        }
        catch (JsonException)
        {
            return $"body is not JSON: {body}";
        }
    }

    /// <summary>Text that would reveal internals: stack frames, source files, paths, exception or .NET type names.</summary>
    public static string? Leak(string body)
    {
        foreach (var marker in new[] { "   at ", ".cs:", ".cs\"", "/work/", "/tmp/", "Exception", "System.", "AgentCrm.", "Microsoft." })
            if (body.Contains(marker, StringComparison.Ordinal))
                return marker;
        return null;
    }
}
