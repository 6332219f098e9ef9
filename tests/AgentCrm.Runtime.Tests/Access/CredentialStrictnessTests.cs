using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentCrm.Access;
using Microsoft.IdentityModel.Tokens;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>
/// Leniencies a security pass found with Auth:Jwt configured: a payload repeating <c>role</c> was taken with its last value
/// (a CSM's token read as admin), a header's <c>crit</c> was ignored, and an API key beside a bearer token won silently,
/// even beside an invalid token.
/// </summary>
public sealed class CredentialStrictnessTests
{
    private static long Seconds(DateTimeOffset at) => at.ToUnixTimeSeconds();

    /// <summary>A token signed with the configured key over exactly this header and payload JSON (repeated properties kept).</summary>
    private static string Raw(string header, string payload)
    {
        var signingInput = Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(header)) + "." + Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(payload));
        var signature = HMACSHA256.HashData(AccessHttp.SigningKey, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64UrlEncoder.Encode(signature);
    }

    private static string Claims(string extra = "")
    {
        var now = DateTimeOffset.UtcNow;
        return $$"""{"iss":"{{AccessHttp.Issuer}}","aud":"{{AccessHttp.Audience}}","sub":"alice","role":"csm","iat":{{Seconds(now)}},"nbf":{{Seconds(now)}},"exp":{{Seconds(now.AddMinutes(30))}}{{extra}}}""";
    }

    private const string Header = """{"alg":"HS256","typ":"JWT"}""";

    private static async Task<(HttpStatusCode Status, string? MediaType, string Body)> MeAsync(AgentCrmApp app, string? apiKey, string? bearer)
    {
        using var client = new HttpClient { BaseAddress = app.Address };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/me");
        AccessHttp.Authenticate(request, apiKey, bearer);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    private static string Detail(string body) => JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString() ?? "";

    [Fact]
    public async Task Jwt_RepeatingAPropertyInPayloadOrHeader_Is401NamingIt_TheSameTokenWithoutIt200()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: AccessHttp.JwtSettings());

        var (status, _, body) = await MeAsync(app, null, Raw(Header, Claims()));
        Assert.True(status == HttpStatusCode.OK, $"{(int)status} {body}");
        Assert.Equal(Roles.Csm, JsonDocument.Parse(body).RootElement.GetProperty("role").GetString());

        foreach (var (token, what, name) in new[]
        {
            (Raw(Header, Claims(""","role":"admin" """)), "payload", "role"),
            (Raw(Header, Claims(""","r\u006fle":"admin" """)), "payload", "role"),
            (Raw(Header, Claims(""","sub":"bob" """)), "payload", "sub"),
            (Raw("""{"alg":"HS256","typ":"JWT","alg":"none"}""", Claims()), "header", "alg"),
        })
        {
            var (refused, mediaType, text) = await MeAsync(app, null, token);
            Assert.True(refused == HttpStatusCode.Unauthorized, $"{what} repeating {name}: {(int)refused} {text}");
            Assert.Null(AccessHttp.ProblemError(HttpStatusCode.Unauthorized, mediaType, text));
            Assert.Equal($"The bearer token's {what} repeats the property '{name}'.", Detail(text));
        }
    }

    [Fact]
    public async Task Jwt_WithCritInItsHeader_Is401SayingTheServerDoesNotUnderstandIt()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: AccessHttp.JwtSettings());
        var token = Raw("""{"alg":"HS256","typ":"JWT","crit":["x-acme-tenant"],"x-acme-tenant":"t1"}""", Claims());
        var (status, mediaType, body) = await MeAsync(app, null, token);
        Assert.True(status == HttpStatusCode.Unauthorized, $"{(int)status} {body}");
        Assert.Null(AccessHttp.ProblemError(HttpStatusCode.Unauthorized, mediaType, body));
        Assert.Contains("crit: [\"x-acme-tenant\"]", Detail(body), StringComparison.Ordinal);
        Assert.Contains("does not understand", Detail(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_WithAnApiKeyAndABearerToken_Is401SayingSendOne_EitherAlone200()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: AccessHttp.JwtSettings());
        var key = await app.CreateKeyAsync(Roles.Ops);
        var valid = AccessHttp.Token("alice", Roles.Csm);
        var invalid = AccessHttp.Token("alice", Roles.Admin, wrongKey: true);

        foreach (var (bearer, what) in new[] { (invalid, "an invalid token"), (valid, "a valid token"), ("not-a-jwt", "garbage") })
        {
            var (status, mediaType, body) = await MeAsync(app, key, bearer);
            Assert.True(status == HttpStatusCode.Unauthorized, $"key and {what}: {(int)status} {body}");
            Assert.Null(AccessHttp.ProblemError(HttpStatusCode.Unauthorized, mediaType, body));
            Assert.Equal("The request carries two credentials, an X-Api-Key header and an Authorization: Bearer token; send one.", Detail(body));
        }

        Assert.Equal(HttpStatusCode.OK, (await MeAsync(app, key, null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await MeAsync(app, null, valid)).Status);
    }
}
