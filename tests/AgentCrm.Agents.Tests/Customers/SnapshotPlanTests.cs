using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

public sealed class SnapshotPlanTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A customer with every kind of event, so every group of fields has values.</summary>
    private static CustomerState Busy()
    {
        var s = new CustomerState();
        var n = 0;
        void E(string type, double daysAgo, object attributes) =>
            CustomerTimeline.Apply(s, new CrmEvent($"e{++n}", "c-1", type, Now.AddDays(-daysAgo), "test", JsonSerializer.SerializeToElement(attributes)));
        E("profile", 300, new { name = "ACME", domain = "acme.com", segment = "smb", customerSince = Now.AddDays(-700).ToString("O") });
        E("contract", 200, new { contractType = "One year", endDate = Now.AddDays(50).ToString("O"), value = 12000, autoRenew = false });
        for (var d = 100; d >= 1; d -= 2)
            E("usage", d, new { quantity = d });
        for (var week = 1; week <= 13; week++)
            E("web_visit", 7 * week + 1, new { url = "https://vendor.example/pricing", visitorId = "v-old", visitorEmail = "old@acme.com" });
        E("web_visit", 1, new { url = "https://vendor.example/security", visitorId = "v-new", visitorEmail = "new@acme.com" });
        E("login", 3, new { });
        E("support_ticket", 6, new { ticketId = "T1", status = "open", priority = "high" });
        E("payment", 4, new { status = "failed", amount = 990 });
        E("invoice", 40, new { invoiceId = "I1", amount = 990, status = "open", dueDate = Now.AddDays(-10).ToString("O") });
        E("nps", 2, new { score = 3 });
        E("email", 5, new { category = "inquiry" });
        E("document", 8, new { text = "Terms of service. We may change these terms at any time.", docType = "ToS", title = "Terms" });
        E("news", 2, new { title = "Network equipment", buyer = "ACME", description = "Switches and routers" });
        return s;
    }

    [Fact]
    public void APlanForSomeFields_DerivesEachOfThemExactlyAsTheFullBuild()
    {
        var s = Busy();
        var full = SnapshotBuilder.Build(s, Now);
        Assert.True(full.Fields.Count > 60, $"expected a full snapshot, got {full.Fields.Count} fields");

        foreach (var (name, field) in full.Fields)
        {
            var planned = SnapshotBuilder.Build(s, Now, SnapshotPlan.For([name]));
            Assert.True(planned.Fields.TryGetValue(name, out var same), $"a plan for {name} left it out");
            Assert.Equal(field.Number, same!.Number);
            Assert.Equal(field.Text, same.Text);
            Assert.Equal(field.EventIds, same.EventIds);
        }
    }

    [Fact]
    public void APlanForTheRenewalFields_SkipsTheGroupsNoAgentReads()
    {
        var s = Busy();
        var planned = SnapshotBuilder.Build(s, Now, SnapshotPlan.For(["usage.trend30d", "contract.daysToEnd", "tickets.open"]));

        Assert.NotNull(planned.Number("usage.trend30d"));
        Assert.NotNull(planned.Number("tickets.open"));
        Assert.NotNull(planned.Number("billing.paymentFailures90d"));
        Assert.DoesNotContain(planned.Fields.Keys, k => k.StartsWith("events.count", StringComparison.Ordinal)
            || k.StartsWith("documents.", StringComparison.Ordinal) || k.StartsWith("news.", StringComparison.Ordinal)
            || k.StartsWith("web.", StringComparison.Ordinal));
    }
}
