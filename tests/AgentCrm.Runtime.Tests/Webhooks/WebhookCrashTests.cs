using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Runtime.Tests.EndToEnd;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>The real `agentcrm serve` killed with SIGKILL while it delivers: after the restart every change arrives, each once after dedupe, in order.</summary>
public sealed class WebhookCrashTests
{
    [Fact]
    public async Task KillDashNine_MidDelivery_EveryChangeArrives_EachOnceByDeliveryId_InOrder()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // A slow receiver, so the kill lands while deliveries are under way.
        receiver.Delay = TimeSpan.FromMilliseconds(30);
        var dir = TempDirectory.Create();
        var now = DateTimeOffset.UtcNow;
        var events = Enumerable.Range(0, 20).SelectMany(i => Timelines.AtRisk($"crash-{i}", now)).ToList();
        string secret;
        using (var server = await ServerProcess.StartAsync(dir))
        {
            using var http = server.CreateClient();
            using var created = await http.PostAsync("/v1/webhooks", new StringContent($$"""{"url":"{{receiver.Url}}"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            secret = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;
            using var posted = await http.PostAsync("/v1/events", new StringContent(new JsonArray([.. events]).ToJsonString(), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
            await receiver.WaitForAsync(10, TimeSpan.FromSeconds(60));
            server.Kill();
        }
        var beforeRestart = receiver.Accepted.Count;

        using (var server = await ServerProcess.StartAsync(dir))
        {
            using var http = server.CreateClient();
            var delivered = new List<string>();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            // Every event was accepted before the kill; their briefs are all stored once the restarted server has caught up.
            while (true)
            {
                var ready = JsonDocument.Parse(await http.GetStringAsync("/readyz")).RootElement;
                using var page = JsonDocument.Parse(await http.GetStringAsync("/v1/briefs?status=delivered&limit=500"));
                delivered = page.RootElement.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToList();
                if (receiver.Accepted.Count >= delivered.Count && delivered.Count > 0 && ready.GetProperty("dispatchWatermark").GetInt64() >= events.Count)
                    break;
                Assert.True(DateTime.UtcNow < deadline, $"expected every delivered brief to arrive: {receiver.Accepted.Count} of {delivered.Count}");
                await Task.Delay(50);
            }
            Assert.True(beforeRestart < delivered.Count, $"the kill came after every delivery ({beforeRestart} of {delivered.Count}): nothing was left to deliver after the restart");
            var accepted = receiver.Accepted.ToList();
            var briefs = accepted.Select(a => a.Json.GetProperty("brief").GetProperty("id").GetString()!).ToList();
            Assert.Equal(delivered.Order().ToList(), briefs.Order().ToList());
            var sequences = accepted.Select(a => a.Json.GetProperty("sequence").GetInt64()).ToList();
            Assert.Equal(sequences.Order().ToList(), sequences);
            Assert.All(accepted, a => Assert.True(WebhookReceiver.Verifies(a, secret, TimeSpan.FromMinutes(5))));
            // Sent again after the kill: at most the deliveries past the stored cursor, each under its first delivery id.
            Assert.InRange(receiver.Redelivered, 0, AgentCrm.Webhooks.WebhookDispatcher.MaxUnsaved);
            Assert.All(receiver.Attempts.Where(a => a.Answered == 200).GroupBy(a => a.DeliveryId), g =>
                Assert.Single(g.Select(a => a.Json.GetProperty("sequence").GetInt64()).Distinct()));
        }
    }
}
