using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.Agents;

public sealed class HotPlugTests
{
    private const string SecondAgent = """
        id: always-brief
        version: 1.0.0
        kind: renewal-risk
        scenario: renewal-risk
        subscribes: [usage, login, support_ticket, payment, nps]
        reads: [contract.daysToEnd, usage.trend30d, tickets.open, nps.latest]
        purpose: customer-success
        threshold: 0
        cooldownDays: 0
        gate: { minCases: 1, minPrecision: 0, minRecall: 0 }
        """;

    [Fact]
    public async Task HotPlug_UnderLoad_SecondAgentBriefsOnlyWhileActive_FirstAgentUnaffected_NoEventLost()
    {
        var stream = Stream(customers: 20, batches: 60, perBatch: 50);

        // Control: the same stream without hot-plug gives the first agent's expected briefs.
        HashSet<string> expected;
        await using (var control = await AgentCrmApp.StartAsync())
        {
            foreach (var batch in stream)
                Assert.Equal(HttpStatusCode.Accepted, (await control.PostEventsAsync(batch)).StatusCode);
            await control.WaitForProcessingAsync();
            expected = (await control.BriefsAsync("&agentId=renewal-risk")).Select(b => b.GetProperty("id").GetString()!).ToHashSet();
        }
        Assert.NotEmpty(expected);

        await using var app = await AgentCrmApp.StartAsync();
        // Registered and evaluated up front (the gate needs a report); promoted while the stream runs.
        var registered = await app.Client.PostAsync("/v1/agents", new StringContent(SecondAgent, Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        await app.EvaluateAsync("always-brief", "1.0.0");
        var third = new TaskCompletionSource();
        var twoThirds = new TaskCompletionSource();
        var posting = Task.Run(async () =>
        {
            for (var i = 0; i < stream.Count; i++)
            {
                Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(stream[i])).StatusCode);
                if (i == stream.Count / 3)
                    third.SetResult();
                if (i == 2 * stream.Count / 3)
                {
                    twoThirds.SetResult();
                    await Task.Delay(50);
                }
            }
        });

        await third.Task;
        var promoteStarted = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PostAsync("/v1/agents/always-brief/versions/1.0.0/promote", null)).StatusCode);
        await twoThirds.Task;
        Assert.Equal(HttpStatusCode.OK, (await app.Client.DeleteAsync("/v1/agents/always-brief")).StatusCode);
        var unregisterEnded = DateTimeOffset.UtcNow;
        await posting;
        await app.WaitForProcessingAsync();

        var second = await app.BriefsAsync("&agentId=always-brief");
        Assert.NotEmpty(second);
        Assert.All(second, b => Assert.InRange(b.GetProperty("createdAt").GetDateTimeOffset(), promoteStarted, unregisterEnded));
        var first = (await app.BriefsAsync("&agentId=renewal-risk")).Select(b => b.GetProperty("id").GetString()!).ToHashSet();
        Assert.Equal(expected, first);

        var perCustomer = stream.SelectMany(b => b).GroupBy(e => (string)e["customerId"]!).ToDictionary(g => g.Key, g => g.Count());
        foreach (var (customer, count) in perCustomer)
            Assert.Equal(count, await app.CustomerFieldAsync(customer, "events.total"));

        // After unregister, new events produce no brief from the retired agent.
        await app.PostEventsAsync(Enumerable.Range(0, 20).Select(i => Ev.Make($"hp-{i}", "usage", DateTimeOffset.UtcNow.AddMinutes(-1))));
        await app.WaitForProcessingAsync();
        Assert.Equal(second.Count, (await app.BriefsAsync("&agentId=always-brief")).Count);
        var agent = await app.GetJsonAsync("/v1/agents/always-brief");
        Assert.All(agent.GetProperty("versions").EnumerateArray(), v => Assert.Equal("retired", v.GetProperty("state").GetString()));
    }

    private static List<List<JsonObject>> Stream(int customers, int batches, int perBatch)
    {
        var random = new Random(3);
        var start = DateTimeOffset.UtcNow.AddDays(-90);
        string[] types = ["usage", "usage", "login", "support_ticket", "payment", "nps"];
        var list = new List<List<JsonObject>>();
        var n = 0;
        for (var b = 0; b < batches; b++)
        {
            var batch = new List<JsonObject>();
            for (var i = 0; i < perBatch; i++, n++)
            {
                var customer = $"hp-{random.Next(customers)}";
                var type = types[random.Next(types.Length)];
                var at = start.AddMinutes(n * 40);
                object attributes = type switch
                {
                    "usage" => new { quantity = n < 1500 ? 100 : 30 },
                    "support_ticket" => new { ticketId = $"T{random.Next(5)}", status = random.Next(2) == 0 ? "open" : "resolved" },
                    "payment" => new { status = random.Next(4) == 0 ? "failed" : "succeeded" },
                    "nps" => new { score = random.Next(0, 11) },
                    _ => new { },
                };
                if (n % 300 == 0)
                    batch.Add(Ev.Make(customer, "contract", at, new { contractType = "month-to-month", endDate = start.AddDays(100).ToString("O") }, id: $"hp-c-{n}"));
                batch.Add(Ev.Make(customer, type, at, attributes, id: $"hp-{n}"));
            }
            list.Add(batch);
        }
        return list;
    }
}
