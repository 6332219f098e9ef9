using System.Text;
using AgentCrm.Actors.Tests.Dapr;
using AgentCrm.Customers;
using AgentCrm.Runtime.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Observability;

/// <summary>The metrics beyond the embedded scrape: under the Dapr host, pushed over OTLP, and what exporting costs the event path.</summary>
public sealed class MetricsExportTests
{
    [Fact]
    public async Task Scrape_UnderTheDaprHost_ShowsTheInboxWithoutEmbeddedActorGauges()
    {
        await using var daprd = await FakeDaprd.StartAsync(apiToken: "dapr-secret", appToken: "app-secret");
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Runtime:Host"] = "Dapr",
            ["Dapr:HttpEndpoint"] = daprd.Endpoint.ToString(),
            ["Dapr:ApiToken"] = "dapr-secret",
            ["Dapr:AppApiToken"] = "app-secret",
        });
        await daprd.ConnectAppAsync(app.Client.BaseAddress!, subscribe: true);
        await app.PostEventsAsync(Timelines.AtRisk("metrics-dapr", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        await daprd.WaitForDeliveriesAsync();

        using var response = await app.Client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var metrics = Prometheus.Parse(text);
        Assert.Equal(0, metrics.Single("agentcrm_inbox_lag"));
        Assert.True(metrics.Sum("agentcrm_events_accepted_total") >= 1, "events accepted");
        Assert.False(metrics.Has("agentcrm_actors_active"), "daprd holds the actors: no embedded-host gauge");
        Assert.DoesNotContain("metrics-dapr", text);
    }

    [Fact]
    public async Task Otlp_WhenAnEndpointIsSet_PushesTheRuntimeMeter()
    {
        await using var collector = await OtlpCollector.StartAsync();
        await using var app = await AgentCrmApp.StartAsync(settings: collector.ServerSettings());
        await app.PostEventsAsync([Ev.Make("metrics-otlp", "nps", DateTimeOffset.UtcNow.AddHours(-1), new { score = 9 })]);
        await app.WaitForProcessingAsync();

        await collector.WaitUntilAsync(r => r.Any(b => Contains(b, "agentcrm.events.applied")), "an OTLP export naming agentcrm.events.applied");
        Assert.DoesNotContain(collector.Received, b => Contains(b, "metrics-otlp"));
        using var scrape = await app.Client.GetAsync("/metrics");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, scrape.StatusCode);
    }

    [Fact]
    public async Task HotPath_WithTheExporterListening_AllocatesNothingPerEvent()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (await app.Client.GetAsync("/metrics"))
        {
            // The provider is listening once the server is up; a scrape makes sure.
        }
        var metrics = app.Services.GetRequiredService<RuntimeMetrics>();
        // Ids as the actor holds them: strings made once, not per call.
        var (agent, version) = (new string("renewal-risk".AsSpan()), new string("1.0.0".AsSpan()));
        Record(metrics, agent, version, 1_000);

        var before = GC.GetAllocatedBytesForCurrentThread();
        Record(metrics, agent, version, 10_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 1_000, $"Expected no allocation per event with the exporter listening; 10,000 events allocated {allocated} bytes.");
    }

    private static void Record(RuntimeMetrics metrics, string agent, string version, int events)
    {
        for (var i = 0; i < events; i++)
        {
            metrics.EventApplied(TimeSpan.FromMilliseconds(3), assessed: true);
            metrics.Assessed(agent, version, TimeSpan.FromMilliseconds(0.2), fired: i % 7 == 0);
        }
    }

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;
}
