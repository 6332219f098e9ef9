using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>HEAD on a GET endpoint is GET without the body: a load balancer's HEAD health check, a HEAD on the console or the API.</summary>
public sealed class HeadRequestTests : IClassFixture<HeadRequestTests.Server>
{
    private readonly Server server;

    public HeadRequestTests(Server server) => this.server = server;

    public sealed class Server : IAsyncLifetime
    {
        public AgentCrmApp App { get; private set; } = null!;

        public async Task InitializeAsync() => App = await AgentCrmApp.StartAsync();

        public async Task DisposeAsync() => await App.DisposeAsync();
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/console")]
    [InlineData("/console/app.js")]
    [InlineData("/openapi/v1.json")]
    public async Task Head_AnonymousGetEndpoint_AnswersGetsStatusAndHeaders_WithoutABody(string path)
    {
        using var anonymous = await server.App.ClientAsync(role: null);

        using var get = await anonymous.GetAsync(path);
        using var head = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(get.StatusCode, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType?.ToString(), head.Content.Headers.ContentType?.ToString());
        Assert.Equal(string.Join(";", get.Headers.GetValues("Content-Security-Policy")), string.Join(";", head.Headers.GetValues("Content-Security-Policy")));
    }

    [Theory]
    [InlineData("/healthz", null)]
    [InlineData("/console/app.js", "app.js")]
    public async Task Head_OnTheWire_SendsHeadersOnly_WithGetsContentLengthWhereGetSetsOne(string path, string? asset)
    {
        // HttpClient reads no body for HEAD whatever follows, so read the raw bytes until the server closes.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.App.Address.Host, server.App.Address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HEAD {path} HTTP/1.1\r\nHost: {server.App.Address.Authority}\r\nConnection: close\r\n\r\n"));
        using var all = new MemoryStream();
        await stream.CopyToAsync(all);
        var text = Encoding.UTF8.GetString(all.ToArray());

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text, StringComparison.Ordinal);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0 && end + 4 == text.Length, $"expected headers only, got: {text}");
        if (asset is not null)
        {
            using var get = await server.App.Client.GetAsync(path);
            Assert.Contains($"\r\nContent-Length: {(await get.Content.ReadAsByteArrayAsync()).Length}\r\n", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Head_OnV1Me_WithAKey200_WithoutOne401ProblemAsGet()
    {
        using var anonymous = await server.App.ClientAsync(role: null);

        using var withKey = await server.App.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/me"));
        using var without = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/me"));
        using var forbidden = await (await server.App.ClientAsync("integrator")).SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/audit"));

        Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
        Assert.Equal("application/json", withKey.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", withKey.Headers.CacheControl?.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal("application/problem+json", without.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    [Fact]
    public async Task Head_OnAPathThatTakesNoGet_Is405AllowingItsMethods()
    {
        using var head = await server.App.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/dead-letters/replay"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, head.StatusCode);
        Assert.Equal(["POST"], head.Content.Headers.Allow);
    }

    [Fact]
    public async Task Head_OnTheBriefStream_AnswersItsHeadersAndEnds()
    {
        // The raw answer until the server closes: GET's stream would never close.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.App.Address.Host, server.App.Address.Port);
        var stream = tcp.GetStream();
        var key = server.App.Client.DefaultRequestHeaders.GetValues("X-Api-Key").Single();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HEAD /v1/briefs/stream HTTP/1.1\r\nHost: {server.App.Address.Authority}\r\nX-Api-Key: {key}\r\nConnection: close\r\n\r\n"));
        using var all = new MemoryStream();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stream.CopyToAsync(all, guard.Token);
        var text = Encoding.UTF8.GetString(all.ToArray());

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/event-stream", text, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("\r\n\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Head_OnEveryGetRouteWithoutParameters_AnswersWhatGetAnswers()
    {
        var paths = server.App.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains("GET") == true && e.RoutePattern.Parameters.Count == 0)
            .Select(e => "/" + e.RoutePattern.RawText!.Trim('/'))
            .Where(p => p != "/v1/briefs/stream") // GET's stream never ends; its HEAD has a test of its own
            .Distinct().ToList();
        Assert.Contains("/healthz", paths);
        Assert.Contains("/v1/agents", paths);

        var differ = new List<string>();
        foreach (var path in paths)
        {
            using var get = await server.App.Client.GetAsync(path);
            using var head = await server.App.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            if (get.StatusCode != head.StatusCode || get.Content.Headers.ContentType?.MediaType != head.Content.Headers.ContentType?.MediaType)
                differ.Add($"{path}: GET {(int)get.StatusCode} {get.Content.Headers.ContentType}, HEAD {(int)head.StatusCode} {head.Content.Headers.ContentType}");
        }
        Assert.True(differ.Count == 0, string.Join("\n", differ));
    }

    [Fact]
    public async Task Head_OverTheRateLimit_Is429WithRetryAfter()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Auth:RequestsPerSecond"] = "1", ["Auth:Burst"] = "2" });
        using var client = await app.ClientAsync(AgentCrm.Access.Roles.Ops);

        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 10; i++)
            responses.Add(await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/agents")));

        var limited = responses.FirstOrDefault(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.True(limited is not null, "10 HEADs at once with a burst of 2: " + string.Join(", ", responses.Select(r => (int)r.StatusCode)));
        Assert.NotNull(limited.Headers.RetryAfter);
        responses.ForEach(r => r.Dispose());
    }
}
