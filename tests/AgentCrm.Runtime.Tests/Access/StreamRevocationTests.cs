using System.Net;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using AgentCrm.Access;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>An open brief stream is only as good as its credential: revoking the key ends it, and no brief is sent after.</summary>
public sealed class StreamRevocationTests
{
    [Fact]
    public async Task RevokingTheKey_EndsAnOpenStream_AndNoLaterBriefReachesIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var anna = await app.ClientAsync(Roles.Csm, "csm-anna");
        using (var assigned = await app.Client.PutAsync("/v1/csms/csm-anna/accounts", new StringContent("""{"accounts":["acme","hooli"]}""", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var received = new List<string>();
        using var response = await anna.GetAsync("/v1/briefs/stream", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = Task.Run(async () =>
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancel.Token);
            await foreach (var item in SseParser.Create(body).EnumerateAsync(cancel.Token))
                lock (received)
                    received.Add(JsonDocument.Parse(item.Data).RootElement.GetProperty("customerId").GetString()!);
        });

        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow))).StatusCode);
        await app.WaitForProcessingAsync();
        await WaitUntilAsync(() => { lock (received) return received.Contains("acme"); }, "the brief on acme to reach the stream");

        await app.Services.GetRequiredService<ApiKeyStore>().RevokeAsync("csm-anna", "test");
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(Timelines.AtRisk("hooli", DateTimeOffset.UtcNow))).StatusCode);
        await app.WaitForProcessingAsync();

        // The server ends the stream (the reader sees the end of the body) well before the test's own timeout.
        await reader.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains((await app.BriefsAsync()), b => b.GetProperty("customerId").GetString() == "hooli");
        lock (received)
            Assert.Equal(["acme"], received.Distinct());
        using var again = await anna.GetAsync("/v1/briefs/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Expected {what} within 30 s.");
            await Task.Delay(20);
        }
    }
}
