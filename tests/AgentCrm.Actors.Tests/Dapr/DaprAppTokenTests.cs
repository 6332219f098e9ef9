using System.Collections.Concurrent;
using System.Net;
using AgentCrm.Actors.Tests.Actors;
using AgentCrm.Dapr;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>The Dapr routes (actors, pub/sub) carry no API key: they take daprd's app token, or without one only calls from the loopback.</summary>
public sealed class DaprAppTokenTests
{
    [Theory]
    [InlineData(null, "127.0.0.1", null, true)]
    [InlineData(null, "::1", null, true)]
    [InlineData(null, "::ffff:127.0.0.1", null, true)]
    [InlineData(null, "10.0.0.5", null, false)]
    [InlineData(null, "192.0.2.2", "anything", false)]
    [InlineData("s3cret", "10.0.0.5", "s3cret", true)]
    [InlineData("s3cret", "127.0.0.1", "wrong", false)]
    [InlineData("s3cret", "127.0.0.1", null, false)]
    public async Task ACall_IsTakenOnlyWithTheTokenOrFromTheLoopback(string? token, string from, string? presented, bool taken)
    {
        var context = Call(Services(token, new ConcurrentQueue<(LogLevel, string)>(), TimeProvider.System), from, "/dapr/config", presented);
        var reached = false;

        var result = await DaprActorsApi.CheckAppToken(new DefaultEndpointFilterInvocationContext(context), _ =>
        {
            reached = true;
            return ValueTask.FromResult<object?>(Results.Ok());
        });

        Assert.Equal(taken, reached);
        if (!taken)
            Assert.Equal(StatusCodes.Status401Unauthorized, Assert.IsAssignableFrom<IStatusCodeHttpResult>(result).StatusCode);
    }

    /// <summary>
    /// daprd started with another APP_API_TOKEN gets 401 on GET /dapr/config and then hosts no actors, silently (sheet §2.1),
    /// and every delivery gets 401 too: the app says so, naming the route and the caller but no token, once per 10 s with the
    /// count of refusals since (qa45c L4).
    /// </summary>
    [Fact]
    public async Task CallsWithTheWrongAppToken_AreRefused_AndLoggedOncePerIntervalWithoutTheTokens()
    {
        var lines = new ConcurrentQueue<(LogLevel Level, string Message)>();
        var time = new ManualTimeProvider();
        var services = Services("s3cret", lines, time);

        foreach (var path in new[] { "/dapr/config", "/dapr/events", "/dapr/events" })
        {
            var result = await DaprActorsApi.CheckAppToken(new DefaultEndpointFilterInvocationContext(Call(services, "127.0.0.1", path, "stale")),
                _ => ValueTask.FromResult<object?>(Results.Ok()));
            Assert.Equal(StatusCodes.Status401Unauthorized, Assert.IsAssignableFrom<IStatusCodeHttpResult>(result).StatusCode);
        }
        time.Advance(TimeSpan.FromSeconds(11));
        await DaprActorsApi.CheckAppToken(new DefaultEndpointFilterInvocationContext(Call(services, "127.0.0.1", "/actors/CustomerActor/acme/method/apply", "stale")),
            _ => ValueTask.FromResult<object?>(Results.Ok()));

        var warnings = lines.Where(l => l.Level >= LogLevel.Warning).Select(l => l.Message).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("GET /dapr/config", warnings[0], StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", warnings[0], StringComparison.Ordinal);
        Assert.Contains("does not match APP_API_TOKEN", warnings[0], StringComparison.Ordinal);
        Assert.Contains("/actors/CustomerActor/acme/method/apply", warnings[1], StringComparison.Ordinal);
        Assert.Contains("2 more", warnings[1], StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Message.Contains("stale", StringComparison.Ordinal) || l.Message.Contains("s3cret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACallWithoutTheAppToken_IsLoggedAsDaprdRunningWithoutIt()
    {
        var lines = new ConcurrentQueue<(LogLevel Level, string Message)>();

        await DaprActorsApi.CheckAppToken(new DefaultEndpointFilterInvocationContext(Call(Services("s3cret", lines, TimeProvider.System), "127.0.0.1", "/dapr/config", null)),
            _ => ValueTask.FromResult<object?>(Results.Ok()));

        Assert.Contains(lines, l => l.Level == LogLevel.Warning && l.Message.Contains("carried no dapr-api-token", StringComparison.Ordinal));
    }

    private static ServiceProvider Services(string? token, ConcurrentQueue<(LogLevel, string)> lines, TimeProvider time)
    {
        var services = new ServiceCollection();
        services.Configure<DaprOptions>(o => o.AppApiToken = token);
        services.AddLogging(b => b.AddProvider(new Capture(lines)));
        services.AddSingleton(time);
        services.AddSingleton<DaprAppTokenRefusals>();
        return services.BuildServiceProvider();
    }

    private static DefaultHttpContext Call(IServiceProvider services, string from, string path, string? presented)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Connection.RemoteIpAddress = IPAddress.Parse(from);
        context.Request.Method = "GET";
        context.Request.Path = path;
        if (presented is not null)
            context.Request.Headers["dapr-api-token"] = presented;
        return context;
    }

    private sealed class Capture(ConcurrentQueue<(LogLevel, string)> lines) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue((logLevel, formatter(state, exception)));
    }
}
