using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Reviews;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// A feed behind a busy writer (intake committing all the time): deliveries go out while the cursor's write waits for its
/// commit, one write for many deliveries. The cursor was written after each delivery, awaited, so a feed ran at one
/// delivery per group commit and fell hours behind under load (soak qa34c: 11 deliveries in 30 s).
/// </summary>
public sealed class WebhookThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task BusyWriter_ABacklogIsDelivered_InFarFewerCommitsThanDeliveries_InOrder_EachOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var data = TempDirectory.Create();
        string id;
        int expected;
        // Deliveries off while the briefs are stored: they wait behind the subscription's cursor.
        await using (var app = await AgentCrmApp.StartAsync(data, new Dictionary<string, string?> { ["Webhooks:Deliver"] = "false" }))
        {
            using var created = await app.Client.PostAsync("/v1/webhooks", Variants.Json($$"""{"url":"{{receiver.Url}}"}"""));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            var now = DateTimeOffset.UtcNow;
            for (var part = 0; part < 4; part++)
                Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(Enumerable.Range(part * 10, 10).SelectMany(i => Timelines.AtRisk($"tp-{i}", now)))).StatusCode);
            await app.WaitForProcessingAsync();
            expected = (await app.BriefsAsync("&status=delivered")).Count;
        }
        Assert.True(expected >= 40, $"{expected} delivered briefs");

        // The receiver refuses until the writer is busy, so every delivery is made behind it.
        receiver.Down = true;
        await using (var app = await AgentCrmApp.StartAsync(data, new Dictionary<string, string?>
        {
            ["Webhooks:RetryBaseDelay"] = "00:00:00.050",
            ["Webhooks:RetryMaxDelay"] = "00:00:00.200",
            ["Webhooks:PollInterval"] = "00:00:00.200",
        }))
        {
            var writer = app.Services.GetRequiredService<SqliteWriter>();
            using var stop = new CancellationTokenSource();
            // Busy intake: a commit of 300 ms after another, one always queued.
            var busy = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                    await writer.WriteAsync(_ => Thread.Sleep(300));
            });
            var commitsBefore = writer.Commits;
            receiver.Down = false;
            var accepted = await receiver.WaitForAsync(expected, TimeSpan.FromSeconds(120));
            var commits = writer.Commits - commitsBefore;
            await stop.CancelAsync();
            await busy;

            output.WriteLine($"{expected} deliveries in {commits} commits of the busy writer");
            Assert.True(commits < expected / 2, $"{expected} deliveries took {commits} commits of the busy writer");
            var sequences = accepted.Select(a => a.Json.GetProperty("sequence").GetInt64()).ToList();
            Assert.Equal(sequences.Order().ToList(), sequences);
            Assert.Equal(0, receiver.Redelivered);
            // Caught up, the stored cursor shows every delivery: nothing behind it for this subscription.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            JsonElement state;
            while ((state = await app.GetJsonAsync($"/v1/webhooks/{id}")).GetProperty("delivered").GetInt64() < expected && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            Assert.Equal(expected, state.GetProperty("delivered").GetInt64());
            Assert.Equal(0, state.GetProperty("backlog").GetInt64());
            Assert.Equal(0, state.GetProperty("consecutiveFailures").GetInt32());
        }
    }
}
