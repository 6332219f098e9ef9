using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Cli;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AgentCrm.Runtime.Tests.Credentials;

/// <summary>API keys made and revoked with the CLI on the data directory of a running server, and JWT bearer tokens.</summary>
public sealed class CredentialTests
{
    private static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();

    private static string Token(string role, string subject = "alice", string audience = "agentcrm", DateTime? expires = null, byte[]? key = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://id.example.com",
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("role", role)]),
            NotBefore = (expires ?? DateTime.UtcNow.AddHours(1)).AddHours(-2),
            Expires = expires ?? DateTime.UtcNow.AddHours(1),
            IssuedAt = (expires ?? DateTime.UtcNow.AddHours(1)).AddHours(-2),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key ?? Secret), SecurityAlgorithms.HmacSha256),
        });

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(AgentCrmApp app, string path, string? bearer = null, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(app.Address, path));
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (apiKey is not null)
            request.Headers.Add("X-Api-Key", apiKey);
        using var anonymous = new HttpClient();
        using var response = await anonymous.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task BearerTokens_AreCheckedForSignatureIssuerAudienceLifetimeAndRole()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Auth:Jwt:Issuer"] = "https://id.example.com",
            ["Auth:Jwt:Audience"] = "agentcrm",
            ["Auth:Jwt:SymmetricKeys:0"] = Convert.ToBase64String(Secret),
        });
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(app, "/v1/agents", Token("ops"))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(app, "/v1/audit", Token("ops"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(app, "/v1/audit", Token("reviewer"))).Status);

        foreach (var (token, why) in new[]
        {
            (Token("ops", expires: DateTime.UtcNow.AddMinutes(-10)), "expired"),
            (Token("ops", audience: "someone-else"), "audience"),
            (Token("ops", key: Enumerable.Repeat((byte)9, 32).ToArray()), "signature"),
            (Token("superuser"), "role"),
            (Token("csm", subject: "   "), "blank"),
            (Token("csm", subject: " alice"), "white space"),
            (Token("csm", subject: "ali\u0007ce"), "control character"),
            ("not.a.token", "valid"),
        })
        {
            var (status, body) = await GetAsync(app, "/v1/agents", token);
            Assert.True(status == HttpStatusCode.Unauthorized, $"{why}: {(int)status} {body}");
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Contains(why, problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(token, body, StringComparison.Ordinal);
        }

        // A CSM token's subject is the CSM id that accounts are assigned to.
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PutAsync("/v1/csms/alice/accounts", Reviews.Variants.Json("""{"accounts":["acme"]}"""))).StatusCode);
        var (okStatus, _) = await GetAsync(app, "/v1/briefs?customerId=acme", Token("csm"));
        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(app, "/v1/customers/globex", Token("csm"))).Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnApiKeySentAsABearerToken_Is401SayingWhichHeaderTakesIt(bool jwtConfigured)
    {
        await using var app = await AgentCrmApp.StartAsync(settings: jwtConfigured ? AgentCrm.Runtime.Tests.Access.AccessHttp.JwtSettings() : null);
        var key = await app.CreateKeyAsync("ops");
        Assert.StartsWith("acrm_", key, StringComparison.Ordinal);
        var (status, body) = await GetAsync(app, "/v1/agents", bearer: key);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("goes in the X-Api-Key header", JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(key, body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(app, "/v1/agents", apiKey: key)).Status);
    }

    [Fact]
    public async Task KeysCreatedWithTheCli_WorkOnARunningServer_UntilRevoked()
    {
        var dir = TempDirectory.Create();
        await using var app = await AgentCrmApp.StartAsync(dir);
        var created = await CliRunner.RunAsync(["keys", "create", "--role", "ops", "--name", "ops-bot", "--json", "--data", dir]);
        Assert.True(created.ExitCode == 0, created.Stderr);
        var key = JsonDocument.Parse(created.Stdout).RootElement.GetProperty("key").GetString()!;
        Assert.StartsWith("acrm_", key);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(app, "/v1/agents", apiKey: key)).Status);

        var duplicate = await CliRunner.RunAsync(["keys", "create", "--role", "ops", "--name", "ops-bot", "--data", dir]);
        Assert.Equal(1, duplicate.ExitCode);
        Assert.Contains("already exists", duplicate.Stderr);
        var badRole = await CliRunner.RunAsync(["keys", "create", "--role", "root", "--name", "x", "--data", dir]);
        Assert.Equal(2, badRole.ExitCode);

        var listed = await CliRunner.RunAsync(["keys", "list", "--data", dir]);
        Assert.Contains("ops-bot", listed.Stdout);
        Assert.DoesNotContain(key, listed.Stdout);
        // Only the hash is stored: the key itself is nowhere in the database files.
        foreach (var file in Directory.GetFiles(dir, "agentcrm.db*"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            Assert.DoesNotContain(key, await reader.ReadToEndAsync());
        }

        var revoked = await CliRunner.RunAsync(["keys", "revoke", "ops-bot", "--data", dir]);
        Assert.True(revoked.ExitCode == 0, revoked.Stderr);
        // Generous: the server notices changes made elsewhere on a timer, which a busy machine runs late.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        HttpStatusCode status;
        while ((status = (await GetAsync(app, "/v1/agents", apiKey: key)).Status) != HttpStatusCode.Unauthorized && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        var audit = await app.GetJsonAsync("/v1/audit?subject=key:ops-bot");
        Assert.Equal(["key.revoked", "key.created"], audit.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("action").GetString()).ToList());
    }
}
