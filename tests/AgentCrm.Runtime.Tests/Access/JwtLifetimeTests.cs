using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Access;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>
/// The longest a bearer token may be valid for (Auth:Jwt:MaxLifetime, a day by default): a token with an <c>exp</c> of
/// 10^12 was accepted. Measured from the token's <c>iat</c> when it has one, and from now.
/// </summary>
public sealed class JwtLifetimeTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task Jwt_ValidForLongerThanMaxLifetime_Is401NamingTheSetting_OneWithinIt200()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: AccessHttp.JwtSettings());
        foreach (var (iat, exp, why) in new (DateTimeOffset?, long?, string)[]
        {
            (Now, Seconds(Now.AddDays(2)), "exp two days after iat"),
            (null, Seconds(Now.AddDays(2)), "exp two days from now, no iat"),
            (Now.AddDays(-30), Seconds(Now.AddHours(1)), "issued a month ago, an hour left"),
            (Now.AddDays(1), Seconds(Now.AddDays(1).AddHours(1)), "iat in the future, exp a day and an hour from now"),
            (Now, 1_000_000_000_000, "exp 10^12"),
        })
        {
            var (status, body) = await MeAsync(app, Signed(iat, exp));
            Assert.True(status == HttpStatusCode.Unauthorized, $"{why}: {(int)status} {body}");
            var detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString();
            Assert.True(detail?.Contains("longer than this server accepts", StringComparison.Ordinal) == true && detail.Contains("Auth:Jwt:MaxLifetime (1.00:00:00)", StringComparison.Ordinal),
                $"{why}: {detail}");
        }

        foreach (var (iat, exp, why) in new (DateTimeOffset?, long?, string)[]
        {
            (Now, Seconds(Now.AddHours(1)), "an hour"),
            (Now, Seconds(Now.AddDays(1)), "exactly a day from iat (an identity provider's 86,400 s)"),
            (null, Seconds(Now.AddHours(23)), "23 hours from now, no iat"),
            (Now.AddHours(-23), Seconds(Now.AddMinutes(30)), "issued 23 hours ago, half an hour left"),
        })
        {
            var (status, body) = await MeAsync(app, Signed(iat, exp));
            Assert.True(status == HttpStatusCode.OK, $"{why}: {(int)status} {body}");
        }
    }

    [Fact]
    public async Task Jwt_WithoutExp_Is401SayingSo()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: AccessHttp.JwtSettings());
        var (status, body) = await MeAsync(app, Signed(Now, exp: null));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("has no expiry (exp)", JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jwt_MaxLifetimeSetting_IsTheLimitApplied()
    {
        var settings = AccessHttp.JwtSettings();
        settings["Auth:Jwt:MaxLifetime"] = "01:00:00";
        await using var app = await AgentCrmApp.StartAsync(settings: settings);
        // AccessHttp's tokens are issued two hours before they expire.
        var (status, body) = await MeAsync(app, AccessHttp.Token("alice", Roles.Ops));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("from its iat to its exp is 02:00:00, more than Auth:Jwt:MaxLifetime (01:00:00)", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await MeAsync(app, Signed(Now, Seconds(Now.AddMinutes(50))))).Status);
    }

    [Theory]
    [InlineData("00:00:00", "Auth:Jwt:MaxLifetime must be more than 00:00:00 and at most 30.00:00:00 (got 00:00:00).")]
    [InlineData("-01:00:00", "Auth:Jwt:MaxLifetime must be more than 00:00:00 and at most 30.00:00:00 (got -01:00:00).")]
    [InlineData("31.00:00:00", "Auth:Jwt:MaxLifetime: '31.00:00:00' is too long; it takes at most 30.00:00:00.")]
    [InlineData("a day", "Auth:Jwt:MaxLifetime: 'a day' is not valid; it takes")]
    public async Task Start_WithABadMaxLifetime_FailsNamingTheKey(string value, string failure)
    {
        var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
            () => AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Auth:Jwt:MaxLifetime"] = value }));
        Assert.Contains(ex.Failures, f => f.StartsWith(failure, StringComparison.Ordinal));
    }

    private static long Seconds(DateTimeOffset at) => at.ToUnixTimeSeconds();

    /// <summary>An ops token signed with the configured key, with exactly these times (none added by the handler).</summary>
    private static string Signed(DateTimeOffset? iat, long? exp)
    {
        var payload = new JsonObject { ["iss"] = AccessHttp.Issuer, ["aud"] = AccessHttp.Audience, ["sub"] = "alice", ["role"] = Roles.Ops };
        if (iat is { } issued)
            payload["iat"] = Seconds(issued);
        if (exp is { } expires)
            payload["exp"] = expires;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(payload.ToJsonString(),
            new SigningCredentials(new SymmetricSecurityKey(AccessHttp.SigningKey), SecurityAlgorithms.HmacSha256));
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
