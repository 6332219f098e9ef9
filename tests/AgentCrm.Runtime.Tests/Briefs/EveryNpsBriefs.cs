using System.Net;
using System.Text;
using AgentCrm.Runtime.Tests.Sandbox;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>Briefs by the thousand, quickly: an agent that fires and delivers on every NPS event.</summary>
public static class EveryNpsBriefs
{
    /// <summary>Fires and delivers on every NPS event: one brief per event.</summary>
    public const string Agent = """
        id: every-nps
        version: 1.0.0
        kind: renewal-risk
        scenario: every-nps
        subscribes: [nps]
        reads: [contract.daysToEnd, usage.trend30d, tickets.open, nps.latest]
        purpose: customer-success
        threshold: 0
        cooldownDays: 0
        gate: { minCases: 1, minPrecision: 0, minRecall: 0 }
        """;

    /// <summary>
    /// <see cref="Customers"/> x <see cref="PerCustomer"/> = 10,000 briefs, enough to overflow a stream client that reads
    /// nothing: its socket buffers take some 2,800 before the server's writes stall (Linux's default 4 MiB send buffer),
    /// then the queue fills; a CSM with half the customers needs twice that for their own to stall.
    /// </summary>
    public const int Customers = 100, PerCustomer = 100;

    /// <summary>Registers, evaluates and promotes <see cref="Agent"/>.</summary>
    public static async Task PromoteAsync(AgentCrmApp app)
    {
        var (ndjson, labels) = CaseFiles.Timeline(3, DateTimeOffset.UtcNow.AddDays(-1));
        using (var cases = await app.Client.PostAsync("/v1/cases/overflow-cases", CaseFiles.Upload(ndjson, labels)))
            Assert.Equal(HttpStatusCode.Created, cases.StatusCode);
        using (var registered = await app.Client.PostAsync("/v1/agents", new StringContent(Agent, Encoding.UTF8, "application/yaml")))
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        await app.EvaluateAndPromoteAsync("every-nps", "1.0.0", "overflow-cases");
    }

    /// <summary>An NPS event of the customer's and the brief it made, once stored (its id).</summary>
    public static async Task<string> OneAsync(AgentCrmApp app, string customer)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make(customer, "nps", DateTimeOffset.UtcNow.AddMinutes(-1), new { score = 3 })])).StatusCode);
        await app.WaitForProcessingAsync();
        return (await app.BriefsAsync($"&customerId={customer}"))[0].GetProperty("id").GetString()!;
    }

    /// <summary>Writes <paramref name="perCustomer"/> briefs of <see cref="Agent"/> for each customer, and waits until they are stored.</summary>
    public static async Task WriteAsync(AgentCrmApp app, IReadOnlyList<string> customers, int perCustomer)
    {
        var before = (await app.BriefsAsync("&agentId=every-nps")).Count;
        var now = DateTimeOffset.UtcNow;
        for (var round = 0; round < perCustomer; round++)
            Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(customers.Select(c => Ev.Make(c, "nps", now.AddMinutes(round - perCustomer), new { score = 3 })))).StatusCode);
        await app.WaitForProcessingAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(before + customers.Count * perCustomer, (await app.BriefsAsync("&agentId=every-nps")).Count);
    }
}
