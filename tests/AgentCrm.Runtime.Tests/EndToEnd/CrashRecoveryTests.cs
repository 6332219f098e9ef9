using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.EndToEnd;

public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task KillDashNine_MidStream_EveryAcknowledgedEventIsProcessedExactlyOnce()
    {
        var dir = TempDirectory.Create();
        var batches = Batches(total: 10_000, perBatch: 100, customers: 50);
        var acknowledged = new bool[batches.Count];

        using (var server = await ServerProcess.StartAsync(dir))
        {
            using var http = server.CreateClient();
            var next = -1;
            var killAt = batches.Count / 2;
            var ackCount = 0;
            var killed = new TaskCompletionSource();
            var senders = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < batches.Count && !killed.Task.IsCompleted)
                {
                    try
                    {
                        using var response = await http.PostAsync("/v1/events", Ndjson(batches[i]));
                        if (response.StatusCode == HttpStatusCode.Accepted)
                        {
                            acknowledged[i] = true;
                            if (Interlocked.Increment(ref ackCount) == killAt)
                                killed.TrySetResult();
                        }
                    }
                    catch (HttpRequestException)
                    {
                        // The server died under this request: not acknowledged, the client retries it later.
                    }
                }
            })).ToArray();
            await killed.Task.WaitAsync(TimeSpan.FromSeconds(120));
            server.Kill();
            await Task.WhenAll(senders);
        }
        Assert.Contains(false, acknowledged);
        Assert.True(acknowledged.Count(a => a) >= batches.Count / 2);

        using (var server = await ServerProcess.StartAsync(dir))
        {
            using var http = server.CreateClient();
            // What the first run did not acknowledge is sent again, as any integrator would; some of it may already be stored.
            var duplicates = 0;
            for (var i = 0; i < batches.Count; i++)
            {
                if (acknowledged[i])
                    continue;
                using var response = await http.PostAsync("/v1/events", Ndjson(batches[i]));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                duplicates += JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("duplicates").GetInt32();
            }
            // Acknowledged events are stored: sending one acknowledged batch again is all duplicates.
            var first = Array.IndexOf(acknowledged, true);
            using (var again = await http.PostAsync("/v1/events", Ndjson(batches[first])))
                Assert.Equal(batches[first].Count, JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("duplicates").GetInt32());

            var expected = batches.SelectMany(b => b).GroupBy(e => (string)e["customerId"]!).ToDictionary(g => g.Key, g => g.Count());
            var deadline = DateTime.UtcNow.AddSeconds(120);
            Dictionary<string, double?> seen;
            do
            {
                await Task.Delay(200);
                seen = [];
                foreach (var customer in expected.Keys)
                    seen[customer] = await EventsTotal(http, customer);
            }
            while (expected.Any(e => seen[e.Key] != e.Value) && DateTime.UtcNow < deadline);
            foreach (var (customer, count) in expected)
                Assert.True(seen[customer] == count, $"customer {customer}: expected {count} events processed exactly once, the actor applied {seen[customer]} (logs in {dir})");
        }
        Directory.Delete(dir, recursive: true);
    }

    private static async Task<double?> EventsTotal(HttpClient http, string customer)
    {
        using var response = await http.GetAsync($"/v1/customers/{customer}");
        if (!response.IsSuccessStatusCode)
            return null;
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("fields").GetProperty("events.total").GetProperty("number").GetDouble();
    }

    private static StringContent Ndjson(List<JsonObject> batch) =>
        new(string.Join("\n", batch.Select(e => e.ToJsonString())), Encoding.UTF8, "application/x-ndjson");

    private static List<List<JsonObject>> Batches(int total, int perBatch, int customers)
    {
        var random = new Random(5);
        var start = DateTimeOffset.UtcNow.AddDays(-60);
        var list = new List<List<JsonObject>>();
        for (var n = 0; n < total; n += perBatch)
            list.Add(Enumerable.Range(n, perBatch).Select(i => Ev.Make($"crash-{random.Next(customers)}", i % 7 == 0 ? "support_ticket" : "usage",
                start.AddMinutes(i * 5), new { quantity = 10, ticketId = $"T{i % 13}", status = "open" }, id: $"crash-{i}")).ToList());
        return list;
    }
}
