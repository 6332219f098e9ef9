using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>A 401 says what is wrong with the credential sent, not that none was, or that a valid key is invalid.</summary>
public sealed class CredentialMessageTests
{
    [Fact]
    public async Task TheSameValidKey_InTwoXApiKeyHeaders_Is401SayingToSendExactlyOne()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var key = await app.CreateKeyAsync("ops");

        // Two header lines, as `curl -H 'X-Api-Key: …' -H 'X-Api-Key: …'` sends them.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(app.Address.Host, app.Address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /v1/agents HTTP/1.1\r\nHost: {app.Address.Authority}\r\nX-Api-Key: {key}\r\nX-Api-Key: {key}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 401", answer, StringComparison.Ordinal);
        // The body may be chunked: the JSON object is what lies between its first '{' and last '}'.
        var json = answer[answer.IndexOf('{', StringComparison.Ordinal)..(answer.LastIndexOf('}') + 1)];
        var detail = JsonDocument.Parse(json).RootElement.GetProperty("detail").GetString();
        Assert.Equal("The request carries 2 X-Api-Key values; send exactly one X-Api-Key header with one API key.", detail);
    }

    [Fact]
    public async Task BasicAuthorization_Is401SayingTheSchemeIsNotAccepted()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var client = new HttpClient { BaseAddress = app.Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("ops:secret")));

        using var response = await client.GetAsync("/v1/agents");

        var detail = (await response.ProblemAsync(HttpStatusCode.Unauthorized)).GetProperty("detail").GetString();
        Assert.Equal("The Authorization scheme 'Basic' is not accepted: send an API key in X-Api-Key or a bearer token (Authorization: Bearer …).", detail);
    }

    [Theory]
    [InlineData("Bearer", "The Authorization header names the Bearer scheme but carries no token.")]
    [InlineData("acrm_0123456789abcdefghij", "An API key (acrm_…) goes in the X-Api-Key header, not Authorization.")]
    [InlineData("s3cr3t-without-a-scheme", "The Authorization header carries no scheme this server accepts: send an API key in X-Api-Key or a bearer token (Authorization: Bearer …).")]
    public async Task AnAuthorizationHeader_WithoutASchemeAndCredential_Is401SayingSo_WithoutEchoingIt(string value, string expected)
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var client = new HttpClient { BaseAddress = app.Address };
        Assert.True(client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", value));

        using var response = await client.GetAsync("/v1/agents");

        Assert.Equal(expected, (await response.ProblemAsync(HttpStatusCode.Unauthorized)).GetProperty("detail").GetString());
    }
}
