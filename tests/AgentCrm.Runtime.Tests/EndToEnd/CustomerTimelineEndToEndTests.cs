using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AgentCrm.Agents.Customers;
using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Runtime.Tests.EndToEnd;

/// <summary>What a customer's timeline does to live decisions, over real HTTP: events out of order, and a flood of open tickets.</summary>
public sealed class CustomerTimelineEndToEndTests
{
    [Fact]
    public async Task OlderEventsArrivingLate_LiveSnapshotIsTheSandboxReplays_AndWritesNoFalseRenewalBrief()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var at = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
        JsonObject[] newer =
        [
            Ev.Make("late", "contract", at, new { contractType = "two-year", startDate = "2026-11-20T00:00:00Z", endDate = "2028-11-20T00:00:00Z" }),
            Ev.Make("late", "nps", at, new { score = 10 }),
            Ev.Make("late", "support_ticket", at, new { ticketId = "T1", status = "resolved" }),
            Ev.Make("late", "payment", at.AddDays(-2), new { invoiceId = "I1", status = "succeeded", amount = 500 }),
        ];
        JsonObject[] older =
        [
            Ev.Make("late", "contract", at.AddDays(-172), new { contractType = "month-to-month", endDate = "2026-12-20T00:00:00Z", autoRenew = false }),
            Ev.Make("late", "nps", at.AddDays(-172), new { score = 1 }),
            Ev.Make("late", "support_ticket", at.AddDays(-10), new { ticketId = "T1", status = "open", priority = "urgent" }),
            Ev.Make("late", "invoice", at.AddDays(-19), new { invoiceId = "I1", amount = 500, dueDate = "2026-11-15T00:00:00Z" }),
        ];
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(newer)).StatusCode);
        await app.WaitForProcessingAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(older)).StatusCode);
        await app.WaitForProcessingAsync();

        var live = (await app.GetJsonAsync("/v1/customers/late")).GetProperty("fields");
        Assert.Equal("two-year", live.GetProperty("contract.type").GetProperty("text").GetString());
        Assert.Equal(10, live.GetProperty("nps.latest").GetProperty("number").GetDouble());
        Assert.Equal(0, live.GetProperty("tickets.open").GetProperty("number").GetDouble());
        Assert.Equal(0, live.GetProperty("billing.overdueInvoices").GetProperty("number").GetDouble());
        Assert.Empty(await app.BriefsAsync("&customerId=late&agentId=renewal-risk"));

        // The sandbox replays the same events sorted by time: every field, value and evidence, is the live one.
        var ndjson = string.Join("\n", newer.Concat(older).Select(e => e.ToJsonString()));
        var set = CaseSetLoader.LoadTimeline(
            new MemoryStream(Encoding.UTF8.GetBytes(ndjson)), "late.ndjson",
            new MemoryStream(Encoding.UTF8.GetBytes("customerId,cutoff,label\nlate,2026-11-20T00:00:00Z,0\n")), "labels.csv", "late");
        var replayed = Assert.Single(set.Cases).Snapshot;
        Assert.Equal(replayed.Fields.Keys.Order(StringComparer.Ordinal), live.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var (name, field) in replayed.Fields)
        {
            var shown = live.GetProperty(name);
            if (field.Number is { } number)
                Assert.True(shown.GetProperty("number").GetDouble() == number, $"{name}: live {shown}, sandbox {number}");
            else
                Assert.True(shown.GetProperty("text").GetString() == field.Text, $"{name}: live {shown}, sandbox {field.Text}");
            Assert.Equal(field.EventIds, shown.GetProperty("eventIds").EnumerateArray().Select(x => x.GetString()!).ToList());
        }
    }

    [Fact]
    public async Task AThousandOpenUrgentTickets_BriefsAndAuditNameFewEvents_AndTheStateIsBounded()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        var contract = Ev.Make("flood", "contract", now.AddDays(-1), new { contractType = "month-to-month", endDate = now.AddDays(60).ToString("O"), autoRenew = false });
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([contract])).StatusCode);
        var tickets = Enumerable.Range(0, 1_000)
            .Select(i => Ev.Make("flood", "support_ticket", now.AddSeconds(-1_000 + i), new { ticketId = $"T{i}", status = "open", priority = "urgent" }).ToJsonString());
        using var posted = await app.Client.PostAsync("/v1/events", new StringContent(string.Join("\n", tickets), Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        await app.WaitForProcessingAsync(TimeSpan.FromSeconds(120));

        // Counted up to the documented cap; the evidence is the newest tickets.
        var fields = (await app.GetJsonAsync("/v1/customers/flood")).GetProperty("fields");
        Assert.Equal(CustomerState.TicketCapacity, fields.GetProperty("tickets.open").GetProperty("number").GetDouble());
        Assert.Equal(SnapshotBuilder.MaxEvidenceIds, fields.GetProperty("tickets.open").GetProperty("eventIds").GetArrayLength());

        var briefs = await app.BriefsAsync("&customerId=flood&agentId=renewal-risk");
        Assert.NotEmpty(briefs);
        Assert.All(briefs.SelectMany(b => b.GetProperty("reasons").EnumerateArray()), r => Assert.InRange(r.GetProperty("eventIds").GetArrayLength(), 0, SnapshotBuilder.MaxEvidenceIds));
        // Every later ticket fired again inside the cooldown: each is audited, naming a few events rather than every open ticket.
        var audit = (await app.GetJsonAsync("/v1/audit?subject=customer:flood&action=assessment.fired")).GetProperty("items").EnumerateArray().ToList();
        Assert.NotEmpty(audit);
        Assert.All(audit, r => Assert.InRange(r.GetProperty("data").GetProperty("eventIds").GetArrayLength(), 1, 3 * SnapshotBuilder.MaxEvidenceIds + 1));
    }
}
