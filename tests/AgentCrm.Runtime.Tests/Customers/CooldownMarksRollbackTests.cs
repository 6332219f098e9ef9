using Microsoft.Extensions.DependencyInjection;
using AgentCrm.Agents;
using AgentCrm.Agents.Compliance;

namespace AgentCrm.Runtime.Tests.Customers;

/// <summary>
/// A version with a shorter cooldown does not prune an earlier version's marks: after a rollback to that version its marks
/// still hold its briefs back for its own cooldown. Over HTTP and the real SQLite file.
/// </summary>
public sealed class CooldownMarksRollbackTests
{
    private const string Terms =
        "Welcome to Acme Cloud. These terms govern your use of the service. " +
        "To the fullest extent permitted by law, Acme shall not be liable for any indirect, incidental or consequential damages, loss of data or loss of profits. " +
        "We hope you enjoy the service.";

    private const string NewClause = " Acme may terminate or suspend your account at any time, for any reason, without notice.";

    [Fact]
    public async Task Rollback_AfterAShorterCooldownVersionBriefed_TheEarlierVersionsFindingStaysInCooldown()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var registry = app.Services.GetRequiredService<AgentRegistry>();
        var start = DateTimeOffset.UtcNow.AddDays(-25);
        // v1 (30 days) briefs the terms.
        await app.PostEventsAsync([Ev.Make("roll", "document", start, new { docType = "terms", title = "Terms v3", text = Terms })]);
        await app.WaitForProcessingAsync();
        Assert.Single(await app.BriefsAsync("&customerId=roll&agentId=compliance-check"));

        // v2 (7 days) serves and, ten days on, briefs a new clause: its prune used to drop v1's ten-day-old mark.
        var v2 = new ComplianceCheckKind().BuiltIn with { Version = "2.0.0", CooldownDays = 7 };
        await registry.RegisterAsync(v2, "test");
        await registry.PromoteAsync(v2.Id, v2.Version, "test");
        await app.PostEventsAsync([Ev.Make("roll", "document", start.AddDays(10), new { docType = "terms", title = "Terms v4", text = Terms + NewClause })]);
        await app.WaitForProcessingAsync();
        Assert.Equal(2, (await app.BriefsAsync("&customerId=roll&agentId=compliance-check")).Count);

        // Back to v1: the same terms twelve days after its brief are inside its 30 days.
        await registry.RollbackAsync(v2.Id, "test");
        await app.PostEventsAsync([Ev.Make("roll", "document", start.AddDays(12), new { docType = "terms", title = "Terms v3", text = Terms })]);
        await app.WaitForProcessingAsync();
        Assert.Equal(2, (await app.BriefsAsync("&customerId=roll&agentId=compliance-check")).Count);
    }
}
