using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Observability;

/// <summary>An OTLP/HTTP collector on loopback that accepts every metrics export (200) and keeps its body.</summary>
internal sealed class OtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<byte[]> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private OtlpCollector(WebApplication app) => _app = app;

    /// <summary>The base address to set as OTEL_EXPORTER_OTLP_ENDPOINT (with OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf).</summary>
    public string Endpoint => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public IReadOnlyCollection<byte[]> Received => _received;

    /// <summary>The settings that export the server's metrics here every 200 ms over http/protobuf (no /metrics endpoint).</summary>
    public Dictionary<string, string?> ServerSettings() => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        ["Telemetry:Metrics:Enabled"] = "false",
    };

    public static async Task<OtlpCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var collector = new OtlpCollector(builder.Build());
        collector._app.MapPost("/v1/metrics", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            collector._received.Enqueue(body.ToArray());
            collector._arrived.Release();
            return Results.Ok();
        });
        await collector._app.StartAsync();
        return collector;
    }

    /// <summary>Waits until the exports received satisfy <paramref name="condition"/>; fails naming <paramref name="expected"/> after 60 s.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyCollection<byte[]>, bool> condition, string expected)
    {
        // Generous: exports come from a timer, which a busy machine runs late.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition(_received))
        {
            try
            {
                await _arrived.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Expected {expected} within 60 s; got {_received.Count} exports.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _arrived.Dispose();
    }
}
