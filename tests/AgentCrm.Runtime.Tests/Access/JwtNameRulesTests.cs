using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentCrm.Access;
using Microsoft.IdentityModel.Tokens;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>
/// What a JWT's name claim may be, and the HMAC key each algorithm needs (QA pass on 22c20cb): a csm token's name is the CSM
/// id accounts are assigned to, so it follows the CSM id rule — which takes identity providers' subjects (<c>auth0|…</c>,
/// e-mail addresses with <c>+</c>) — or is refused; names with line separators or invisible characters are refused; an
/// HS384/HS512 token with only a shorter key configured is refused saying the key is too short.
/// </summary>
public sealed class JwtNameRulesTests
{
    [Theory]
    [InlineData("auth0|5f7c8ec7c33c6c004bbafe82")]
    [InlineData("google-oauth2|117012345678901234567")]
    [InlineData("ann+crm@example.com")]
    public async Task CsmToken_WithAnIdentityProvidersSubject_CanBeAssignedAccounts_ByPathEscapedOrNot_AndByWebhook(string subject)
    {
        await using var app = await AgentCrmApp.StartAsync(settings: AccessHttp.JwtSettings());
        var token = AccessHttp.Token(subject, Roles.Csm);
        var (status, body) = await MeAsync(app, token);
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal(0, JsonDocument.Parse(body).RootElement.GetProperty("accounts").GetArrayLength());

        // Percent-encoded as a client library writes a path segment (%7C, %2B, %40), and as typed.
        foreach (var (path, accounts) in new[] { ($"/v1/csms/{Uri.EscapeDataString(subject)}/accounts", "acme"), ($"/v1/csms/{subject}/accounts", "globex") })
        {
            using var put = await app.Client.PutAsync(path, new StringContent($$"""{"accounts":["{{accounts}}"]}""", Encoding.UTF8, "application/json"));
            var answer = await put.Content.ReadAsStringAsync();
            Assert.True(put.StatusCode == HttpStatusCode.OK, $"{path}: {(int)put.StatusCode} {answer}");
            Assert.Equal(subject, JsonDocument.Parse(answer).RootElement.GetProperty("csmId").GetString());
            (status, body) = await MeAsync(app, token);
            Assert.Equal(new List<string?> { accounts }, JsonDocument.Parse(body).RootElement.GetProperty("accounts").EnumerateArray().Select(a => a.GetString()).ToList());
            var got = await app.GetJsonAsync(path);
            Assert.Equal(subject, got.GetProperty("csmId").GetString());
        }

        var hook = new Dictionary<string, string> { ["url"] = "http://127.0.0.1:9/hook", ["csmId"] = subject };
        using var created = await app.Client.PostAsync("/v1/webhooks", new StringContent(JsonSerializer.Serialize(hook), Encoding.UTF8, "application/json"));
        var createdBody = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, createdBody);
        Assert.Equal(subject, JsonDocument.Parse(createdBody).RootElement.GetProperty("csmId").GetString());
    }

    [Fact]
    public async Task CliWebhooksAdd_TakesAnIdentityProvidersSubjectAsCsm_AndStillRefusesAColon()
    {
        var data = TempDirectory.Create();
        await Cli.WebhookInputCliTests.AssignAsync(data, "auth0|5f7c8ec7c33c6c004bbafe82", "acme");
        var added = await Cli.CliRunner.RunAsync(["webhooks", "add", "https://example.com/hook", "--csm", "auth0|5f7c8ec7c33c6c004bbafe82", "--json", "--data", data]);
        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.Equal("auth0|5f7c8ec7c33c6c004bbafe82", JsonDocument.Parse(added.Stdout).RootElement.GetProperty("csmId").GetString());

        var refused = await Cli.CliRunner.RunAsync(["webhooks", "add", "https://example.com/hook", "--csm", "admin:x", "--data", data]);
        Assert.Equal(2, refused.ExitCode);
        Assert.StartsWith("agentcrm: --csm: A CSM id is 1-64 characters: ASCII letters, digits and . _ @ - | +", refused.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("admin:x", "a colon, which would share admin x's brief responses")]
    [InlineData("Ann Smith", "a space inside")]
    [InlineData("josé", "a letter outside ASCII")]
    [InlineData("-alice", "not starting with a letter or digit")]
    [InlineData("a0123456789012345678901234567890123456789012345678901234567890123", "65 characters")]
    public async Task CsmToken_WhoseNameCannotBeACsmId_Is401NamingTheClaimAndTheRule_WhileOtherRolesTakeIt(string subject, string why)
    {
        await using var app = await AgentCrmApp.StartAsync(settings: AccessHttp.JwtSettings());
        var (status, body) = await MeAsync(app, AccessHttp.Token(subject, Roles.Csm));
        Assert.True(status == HttpStatusCode.Unauthorized, $"{why}: {(int)status} {body}");
        var detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString();
        Assert.Equal(
            "The bearer token's 'sub' claim cannot be a CSM id, which a csm token's name is (accounts are assigned to it): a CSM id is 1-64 characters: ASCII letters, digits and . _ @ - | +, starting with a letter or digit.",
            detail);

        // Only a CSM's name must be assignable: a reviewer or an ops engineer may be named so.
        (status, body) = await MeAsync(app, AccessHttp.Token(subject, Roles.Reviewer));
        Assert.True(status == HttpStatusCode.OK, $"{why}, reviewer: {(int)status} {body}");
        Assert.Equal(subject, JsonDocument.Parse(body).RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public async Task CsmId_WithAColonOrASpace_IsStill400NamingCsmId()
    {
        await using var app = await AgentCrmApp.StartAsync();
        foreach (var id in new[] { "admin%3Ax", "Ann%20Smith" })
        {
            using var put = await app.Client.PutAsync($"/v1/csms/{id}/accounts", new StringContent("""{"accounts":["acme"]}""", Encoding.UTF8, "application/json"));
            var body = await put.Content.ReadAsStringAsync();
            Assert.True(put.StatusCode == HttpStatusCode.BadRequest, $"{id}: {body}");
            Assert.Equal("A CSM id is 1-64 characters: ASCII letters, digits and . _ @ - | +, starting with a letter or digit.",
                JsonDocument.Parse(body).RootElement.GetProperty("errors").GetProperty("csmId")[0].GetString());
        }
    }

    [Theory]
    [InlineData("ann\u2028[ERR] forged", "line separator")]
    [InlineData("ann\u2029x", "paragraph separator")]
    [InlineData("adm\u202Enimda", "right-to-left override")]
    [InlineData("ann\u2066x\u2069", "isolate")]
    [InlineData("al\u200Bice", "zero-width space")]
    [InlineData("\uFEFFalice", "byte-order mark")]
    public async Task Jwt_NameWithASeparatorOrAnInvisibleCharacter_Is401NamingTheRule(string subject, string why)
    {
        await using var app = await AgentCrmApp.StartAsync(settings: AccessHttp.JwtSettings());
        var (status, body) = await MeAsync(app, AccessHttp.Token(subject, Roles.Reviewer));
        Assert.True(status == HttpStatusCode.Unauthorized, $"{why}: {(int)status} {body}");
        Assert.Equal(
            "The bearer token's 'sub' claim contains a line or paragraph separator (U+2028, U+2029) or an invisible formatting character (a zero-width space, a byte-order mark, a direction override).",
            JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Jwt_NameWithTheJoinersNamesNeed_IsTaken_AsIntakeTakesThemInACustomerId()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: AccessHttp.JwtSettings());
        const string persian = "\u0645\u06CC\u200C\u0631\u0648\u062F";
        var (status, body) = await MeAsync(app, AccessHttp.Token(persian, Roles.Reviewer));
        Assert.True(status == HttpStatusCode.OK, body);
    }

    [Theory]
    [InlineData(SecurityAlgorithms.HmacSha384, 48)]
    [InlineData(SecurityAlgorithms.HmacSha512, 64)]
    public async Task HmacToken_WhoseAlgorithmNeedsALongerKeyThanConfigured_Is401SayingSo_HS256Works(string alg, int needed)
    {
        // AccessHttp.SigningKey is 41 bytes: enough for HS256, short of HS384's 48 and HS512's 64.
        await using var app = await AgentCrmApp.StartAsync(settings: AccessHttp.JwtSettings());
        var (status, body) = await MeAsync(app, Signed(AccessHttp.SigningKey, alg));
        Assert.True(status == HttpStatusCode.Unauthorized, body);
        Assert.Equal(
            $"The bearer token is signed with {alg}, which needs an HMAC key of at least {needed} bytes (RFC 7518 §3.2); this server's Auth:Jwt:SymmetricKeys are shorter (41 bytes): sign with HS256, or configure a key of {needed} bytes or more.",
            JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await MeAsync(app, Signed(AccessHttp.SigningKey, SecurityAlgorithms.HmacSha256))).Status);
    }

    [Fact]
    public async Task HmacTokens_WithA64ByteKey_AreTakenWithEveryHmacAlgorithm_AndAWrongKeyIsStillASignatureNotValid()
    {
        var key = Enumerable.Range(1, 64).Select(i => (byte)(i * 3)).ToArray();
        var settings = AccessHttp.JwtSettings();
        settings["Auth:Jwt:SymmetricKeys:0"] = Convert.ToBase64String(key);
        await using var app = await AgentCrmApp.StartAsync(settings: settings);
        foreach (var alg in new[] { SecurityAlgorithms.HmacSha256, SecurityAlgorithms.HmacSha384, SecurityAlgorithms.HmacSha512 })
        {
            var (status, body) = await MeAsync(app, Signed(key, alg));
            Assert.True(status == HttpStatusCode.OK, $"{alg}: {body}");
            (status, body) = await MeAsync(app, Signed(Enumerable.Reverse(key).ToArray(), alg));
            Assert.True(status == HttpStatusCode.Unauthorized, $"{alg}, wrong key: {body}");
            Assert.Equal("The bearer token's signature is not valid.", JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task Start_WithAShortHmacKey_FailsStatingEachAlgorithmsMinimum()
    {
        var settings = AccessHttp.JwtSettings();
        settings["Auth:Jwt:SymmetricKeys:0"] = Convert.ToBase64String(new byte[16]);
        var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => AgentCrmApp.StartAsync(settings: settings));
        Assert.Contains("Auth:Jwt:SymmetricKeys:0 must be base64 of at least 32 bytes (HS256; HS384 tokens need 48 bytes, HS512 64).", ex.Failures);
    }

    /// <summary>
    /// An ops token signed with <paramref name="key"/> by <paramref name="alg"/>, signed here as an issuer would: the token
    /// library will not sign HS384 or HS512 with a key shorter than the hash (IDX10720).
    /// </summary>
    private static string Signed(byte[] key, string alg)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Base64UrlEncoder.Encode(JsonSerializer.Serialize(new { alg, typ = "JWT" }));
        var payload = Base64UrlEncoder.Encode(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["iss"] = AccessHttp.Issuer, ["aud"] = AccessHttp.Audience, ["sub"] = "alice", ["role"] = Roles.Ops, ["iat"] = now, ["exp"] = now + 1800,
        }));
        var input = Encoding.ASCII.GetBytes($"{header}.{payload}");
        var signature = alg switch
        {
            SecurityAlgorithms.HmacSha256 => HMACSHA256.HashData(key, input),
            SecurityAlgorithms.HmacSha384 => HMACSHA384.HashData(key, input),
            _ => HMACSHA512.HashData(key, input),
        };
        return $"{header}.{payload}.{Base64UrlEncoder.Encode(signature)}";
    }

    private static async Task<(HttpStatusCode Status, string Body)> MeAsync(AgentCrmApp app, string bearer)
    {
        using var client = new HttpClient { BaseAddress = app.Address };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
