using System.Net;

namespace AgentCrm.Runtime.Tests.EndToEnd;

/// <summary>What a CSM reads in a renewal brief, through the server: its moment in UTC, its reasons worded right, a paid retry no billing problem.</summary>
public sealed class RenewalBriefWordingEndToEndTests
{
    [Fact]
    public async Task Brief_EventsSentWithAnOffset_AsOfInUtcAndReasonsWordedRight()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // A one-year contract ending at the events' own instant, sent in Pacific time (QA: asOf kept "-08:00", "ended -0 days ago").
        const string at = "2026-12-04T23:30:00-08:00";
        var events = new[]
        {
            Ev.Make("cx3", "profile", DateTimeOffset.Parse(at), new { name = "Initech Three", customerSince = "2025-12-05" }),
            Ev.Make("cx3", "contract", DateTimeOffset.Parse(at), new { contractType = "one-year", endDate = "2026-12-05T07:30:00Z", autoRenew = false }),
            Ev.Make("cx3", "payment", DateTimeOffset.Parse(at), new { invoiceId = "X", amount = 10, status = "declined" }),
            Ev.Make("cx3", "nps", DateTimeOffset.Parse(at), new { score = 1 }),
        };
        foreach (var e in events)
            e["occurredAt"] = at;
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();

        var brief = (await app.BriefsAsync("&customerId=cx3&agentId=renewal-risk"))[0];
        Assert.Equal("2026-12-05T07:30:00+00:00", brief.GetProperty("asOf").GetString());
        var reasons = brief.GetProperty("reasons").EnumerateArray()
            .ToDictionary(r => r.GetProperty("field").GetString()!, r => r.GetProperty("explanation").GetString()!);
        Assert.Equal("contract ended less than a day ago", reasons["contract.daysToEnd"]);
        Assert.Equal("1 failed payment in 90 days", reasons["billing.paymentFailures90d"]);
        Assert.DoesNotContain("-0", brief.GetProperty("headline").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Customer_CardRetriedUntilTheInvoiceIsPaid_HasNoOpenPaymentFailures()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var t = new DateTimeOffset(2026, 11, 15, 9, 0, 0, TimeSpan.Zero);
        await app.PostEventsAsync(
        [
            Ev.Make("payfix", "invoice", t.AddDays(-14), new { invoiceId = "P1", amount = 900, dueDate = "2026-11-15", status = "open" }),
            Ev.Make("payfix", "payment", t, new { invoiceId = "P1", amount = 900, status = "failed" }),
            Ev.Make("payfix", "payment", t.AddDays(1), new { invoiceId = "P1", amount = 900, status = "declined" }),
            Ev.Make("payfix", "payment", t.AddDays(2), new { invoiceId = "P1", amount = 900, status = "error" }),
        ]);
        await app.WaitForProcessingAsync();
        Assert.Equal(3, await app.CustomerFieldAsync("payfix", "billing.paymentFailures90d"));

        await app.PostEventsAsync([Ev.Make("payfix", "payment", t.AddDays(3), new { invoiceId = "P1", amount = 900, status = "succeeded" })]);
        await app.WaitForProcessingAsync();

        Assert.Equal(0, await app.CustomerFieldAsync("payfix", "billing.paymentFailures90d"));
    }
}
