using System.Net;

namespace AgentCrm.Runtime.Tests.Plugins;

/// <summary>A plugin upload's 409 names the field at fault, as POST /v1/agents does (qa36c).</summary>
public sealed class PluginUploadConflictTests
{
    [Fact]
    public async Task Upload_AVersionStoredWithOtherContent_Is409NamingVersion()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (created, first) = await PluginTests.UploadAsync(app, PluginTests.TicketSurge());
        Assert.True(created == HttpStatusCode.Created, first.ToString());

        var (status, body) = await PluginTests.UploadAsync(app, PluginTests.TicketSurge().Replace("minOpen: 2", "minOpen: 3", StringComparison.Ordinal));

        Assert.True(status == HttpStatusCode.Conflict, body.ToString());
        var message = Assert.Single(body.GetProperty("errors").GetProperty("version").EnumerateArray()).GetString();
        Assert.StartsWith("ticket-surge@1.0.0 is already registered with different content", message, StringComparison.Ordinal);
        Assert.Equal(message, body.GetProperty("detail").GetString());
    }
}
