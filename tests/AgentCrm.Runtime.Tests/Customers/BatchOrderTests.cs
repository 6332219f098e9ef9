using System.Net;
using System.Text;

namespace AgentCrm.Runtime.Tests.Customers;

/// <summary>
/// The briefs a batch writes do not depend on the order its events arrive in: a customer's events applied in one turn
/// are applied and assessed in occurredAt order. Over HTTP and the real SQLite file.
/// </summary>
public sealed class BatchOrderTests
{
    // Fires on every email and cools down for 7 days (a shadow version: its briefs are stored, with status shadow).
    private const string EmailAgent = """
        {
          "id": "any-email", "version": "1.0.0", "kind": "rules", "scenario": "test",
          "subscribes": ["email"],
          "reads": ["events.count30d.email"],
          "purpose": "customer-success",
          "threshold": 0.5,
          "cooldownDays": 7,
          "rules": { "conditions": [ { "name": "mailed", "when": "events.count30d.email >= 1", "weight": 1 } ] }
        }
        """;

    [Fact]
    public async Task TwoEmailsEightDaysApart_WriteTwoBriefs_InEitherOrderWithinOneBatch()
    {
        var now = DateTimeOffset.UtcNow;
        await using var app = await AgentCrmApp.StartAsync();
        using (var register = await app.Client.PostAsync("/v1/agents", new StringContent(EmailAgent, Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Created, register.StatusCode);
        using (var shadow = await app.Client.PostAsync("/v1/agents/any-email/versions/1.0.0/shadow", null))
            Assert.Equal(HttpStatusCode.OK, shadow.StatusCode);
        var early = now.AddDays(-20);
        var late = now.AddDays(-12);

        using (var response = await app.PostEventsAsync([Ev.Make("in-order", "email", early), Ev.Make("in-order", "email", late)]))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using (var response = await app.PostEventsAsync([Ev.Make("reversed", "email", late), Ev.Make("reversed", "email", early)]))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await app.WaitForProcessingAsync();

        Assert.Equal(2, (await app.BriefsAsync("&customerId=in-order&status=shadow")).Count);
        // Before: the 11-01 event of [11-09, 11-01] was judged as of 11-09 and fell in the cooldown of that day's brief.
        Assert.Equal(2, (await app.BriefsAsync("&customerId=reversed&status=shadow")).Count);
    }
}
