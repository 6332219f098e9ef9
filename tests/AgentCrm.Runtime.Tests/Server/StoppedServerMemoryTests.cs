using System.Runtime.CompilerServices;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Reviews;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// A server stopped and disposed in a process that goes on (a test run starts hundreds; a host embedding the runtime may
/// restart it) leaves nothing reachable. ASP.NET Core's rate-limiting middleware kept every stopped server alive through a
/// timer (about 80 MB each, after serving a little): a full test run grew past 21 GB and the OOM killer ended it.
/// </summary>
public sealed class StoppedServerMemoryTests
{
    [Fact]
    public async Task AServerStoppedAndDisposed_AfterServingRequests_IsCollected()
    {
        var writer = await ServeThenStopAsync();

        // Work the stopped server left to finish (a timer's last tick, a continuation queued behind other tests' work on a busy
        // machine) may hold it a moment: waited for generously, as a leak holds it for good.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (writer.IsAlive && DateTime.UtcNow < deadline)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(100);
        }

        Assert.False(writer.IsAlive, "Expected the stopped server's services (its SqliteWriter) to be collected within 30 s; something still references them.");
    }

    /// <summary>Serves events, briefs and a rate-limited /v1 read, stops; returns a weak reference to one of its singletons.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> ServeThenStopAsync()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (var posted = await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow)))
            posted.EnsureSuccessStatusCode();
        await app.WaitForProcessingAsync();
        Assert.NotEmpty(await app.BriefsAsync());
        // The other long-lived parts a server runs: a sandbox job, knowledge search, a webhook's delivery loop, the brief
        // stream, a metrics scrape.
        await app.EvaluateAsync("renewal-risk", "1.0.1");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await app.Client.GetAsync("/v1/knowledge/search?q=renewal%20risk")).StatusCode);
        using (var hook = await app.Client.PostAsync("/v1/webhooks", Variants.Json("""{"url":"http://127.0.0.1:9/hook"}""")))
            Assert.Equal(System.Net.HttpStatusCode.Created, hook.StatusCode);
        using (var stream = await app.Client.GetAsync("/v1/briefs/stream", HttpCompletionOption.ResponseHeadersRead))
            Assert.Equal(System.Net.HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await app.Client.GetAsync("/metrics")).StatusCode);
        return new WeakReference(app.Services.GetRequiredService<SqliteWriter>());
    }
}
