using System.Net;
using AgentCrm.Server;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// Too long a URL or too many header bytes, over real HTTP through Kestrel: ProblemDetails naming what was too large,
/// answered before authentication (the clients here send no credential unless they say so).
/// </summary>
public sealed class RequestHeadLimitsTests(RequestHeadLimitsTests.Server server) : IClassFixture<RequestHeadLimitsTests.Server>
{
    public sealed class Server : IAsyncLifetime
    {
        public AgentCrmApp App { get; private set; } = null!;

        public async Task InitializeAsync() => App = await AgentCrmApp.StartAsync();

        public async Task DisposeAsync() => await App.DisposeAsync();
    }

    private HttpClient Anonymous() => new() { BaseAddress = server.App.Address, Timeout = TimeSpan.FromSeconds(60) };

    private static HttpRequestMessage Get(string path, string? bigHeader = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (bigHeader is not null)
            request.Headers.TryAddWithoutValidation("X-Big", bigHeader);
        return request;
    }

    [Fact]
    public async Task Headers_PastTheLimit_Answer431Problem_NamingHeaders_BeforeAuthentication()
    {
        using var client = Anonymous();

        using var response = await client.SendAsync(Get("/v1/briefs", new string('a', 40_000)));

        var problem = await response.ProblemAsync(HttpStatusCode.RequestHeaderFieldsTooLarge);
        Assert.Equal(431, problem.GetProperty("status").GetInt32());
        Assert.Contains($"at most {RequestHeadLimits.MaxHeaderBytes}", problem.GetProperty("errors").GetProperty("headers")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooManyHeaderLines_Answer431Problem_NamingHeaders()
    {
        using var client = Anonymous();
        using var request = Get("/healthz");
        for (var i = 0; i < RequestHeadLimits.MaxHeaderCount + 10; i++)
            request.Headers.TryAddWithoutValidation($"X-H{i}", "1");

        using var response = await client.SendAsync(request);

        var problem = await response.ProblemAsync(HttpStatusCode.RequestHeaderFieldsTooLarge);
        Assert.Contains("header lines", problem.GetProperty("errors").GetProperty("headers")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Url_OneBytePastTheLimit_Answers414Problem_NamingUrl_AtTheLimit_Answers()
    {
        using var client = Anonymous();
        const string prefix = "/healthz?pad=";
        var atLimit = prefix + new string('a', RequestHeadLimits.MaxUrlBytes - prefix.Length);

        using var over = await client.SendAsync(Get(atLimit + "a"));
        using var at = await client.SendAsync(Get(atLimit));

        var problem = await over.ProblemAsync(HttpStatusCode.RequestUriTooLong);
        Assert.Equal($"The URL (path and query string) is {RequestHeadLimits.MaxUrlBytes + 1} bytes; at most {RequestHeadLimits.MaxUrlBytes} are accepted.",
            problem.GetProperty("errors").GetProperty("url")[0].GetString());
        Assert.Equal(HttpStatusCode.OK, at.StatusCode);
    }

    [Fact]
    public async Task Request_JustUnderTheLimits_IsAnsweredNormally_WithItsCredential()
    {
        // The admin client's own headers (Host, X-Api-Key) take less than 1 KiB of what is left.
        var header = new string('a', RequestHeadLimits.MaxHeaderBytes - 1024);
        using var anonymous = Anonymous();

        using var answered = await server.App.Client.SendAsync(Get("/v1/briefs?limit=5", header));
        using var refused = await anonymous.SendAsync(Get("/v1/briefs?limit=5", header));

        Assert.True(answered.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)answered.StatusCode}: {await answered.Content.ReadAsStringAsync()}");
        // Under the limits, authentication runs as before.
        await refused.ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Headers_PastKestrelsCeiling_GetKestrelsBareAnswer()
    {
        using var client = Anonymous();

        using var response = await client.SendAsync(Get("/healthz", new string('a', RequestHeadLimits.MaxHeaderBytes * RequestHeadLimits.KestrelFactor + 1)));

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }
}
