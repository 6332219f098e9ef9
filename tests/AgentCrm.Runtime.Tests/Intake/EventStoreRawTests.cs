using System.Net;
using AgentCrm.Intake;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Intake;

/// <summary>Raw events are read back for one customer only: a brief's evidence never quotes another customer's event.</summary>
public sealed class EventStoreRawTests
{
    [Fact]
    public async Task GetRaw_OfAnotherCustomersEventId_ReturnsNothing_OfItsOwn_TheEvent()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var at = DateTimeOffset.UtcNow.AddHours(-1);
        using var posted = await app.PostEventsAsync([
            Ev.Make("acme", "nps", at, new { score = 2, comment = "acme private comment" }, id: "acme-nps-1"),
            Ev.Make("globex", "nps", at, new { score = 9 }, id: "globex-nps-1"),
        ]);
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        var store = app.Services.GetRequiredService<EventStore>();

        // An agent's reason (a plugin's, say) citing acme's event for globex's brief.
        Assert.Empty(store.GetRaw(["acme-nps-1"], "globex"));
        var own = Assert.Single(store.GetRaw(["acme-nps-1", "globex-nps-1"], "globex"));
        Assert.Equal("globex-nps-1", own.GetProperty("id").GetString());
        Assert.Contains("acme private comment", Assert.Single(store.GetRaw(["acme-nps-1"], "acme")).GetRawText(), StringComparison.Ordinal);
    }
}
