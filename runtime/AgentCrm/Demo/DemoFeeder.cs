using System.Text;
using System.Text.Json;
using AgentCrm.Briefs;
using AgentCrm.Intake;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace AgentCrm.Demo;

/// <summary>`serve --demo`: once the server listens, feeds the demo timeline through intake and prints where to look.</summary>
public static class DemoFeeder
{
    public static void Attach(WebApplication app) =>
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(() => FeedAsync(app)));

    private static async Task FeedAsync(WebApplication app)
    {
        try
        {
            var services = app.Services;
            var store = services.GetRequiredService<EventStore>();
            var dispatcher = services.GetRequiredService<EventDispatcher>();
            var briefs = services.GetRequiredService<BriefStore>();
            var options = services.GetRequiredService<IOptions<IntakeOptions>>().Value;
            var time = services.GetRequiredService<TimeProvider>();
            var now = time.GetUtcNow();
            var ndjson = string.Join('\n', DemoTimeline.Generate(now).Select(e => e.ToJsonString()));
            var parsed = EventParser.Parse(Encoding.UTF8.GetBytes(ndjson), ndjson: true, options, now);
            if (parsed.Errors.Count > 0)
                throw new InvalidOperationException("The demo timeline is invalid: " + JsonSerializer.Serialize(parsed.Errors));
            var result = await store.AppendAsync(parsed.Events, app.Lifetime.ApplicationStopping);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (dispatcher.Watermark < store.MaxSeq() && DateTime.UtcNow < deadline && !app.Lifetime.ApplicationStopping.IsCancellationRequested)
                await Task.Delay(100);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://127.0.0.1:5080";
            Console.WriteLine();
            Console.WriteLine($"Demo: fed {parsed.Events.Count} events for {DemoTimeline.CustomerCount} customers ({result.Accepted} new, {result.Duplicates} already stored); {briefs.Count()} briefs so far.");
            Console.WriteLine("Look at the briefs:");
            Console.WriteLine($"  curl -s '{address}/v1/briefs?limit=5'");
            Console.WriteLine($"  curl -s {address}/v1/customers/demo-01");
            Console.WriteLine($"  curl -s {address}/v1/agents");
            Console.WriteLine("Press Ctrl+C to stop.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Console.Error.WriteLine($"agentcrm: the demo feed failed: {ex.Message}");
        }
    }
}
