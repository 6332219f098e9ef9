using System.Net;
using AgentCrm.Dapr;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

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
        var services = new ServiceCollection();
        services.Configure<DaprOptions>(o => o.AppApiToken = token);
        var context = new DefaultHttpContext { RequestServices = services.BuildServiceProvider() };
        context.Connection.RemoteIpAddress = IPAddress.Parse(from);
        if (presented is not null)
            context.Request.Headers["dapr-api-token"] = presented;
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
}
