using AgentCrm.Observability;
using AgentCrm.Runtime.Tests.Intake;
using AgentCrm.Runtime.Tests.Server;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Observability;

/// <summary>
/// An OTLP endpoint nothing listens on dropped every export without a line in the log: the SDK tells its failures only
/// through its EventSources (fix34a). They are logged as a throttled one-line warning naming the endpoint; the SDK's other
/// warnings are not (qa39a #2). One class: the EventSources are the process's, so a test's failing exports reach the other's listener.
/// </summary>
public sealed class OtlpExportFailureLogTests
{
    [Fact]
    public async Task ExportsThatSucceed_LogNoFailure_ThoughTheSdkWarnsItIgnoresInstrumentsOfMetersNotExported()
    {
        var logs = new CapturedLogs();
        await using var collector = await OtlpCollector.StartAsync();
        await using var app = await AgentCrmApp.StartAsync(settings: collector.ServerSettings(), configure: s => s.AddSingleton(logs.Provider()));

        // A request through routing: ASP.NET Core's routing meter, not exported, creates its instruments and the SDK warns it ignores them.
        using (await app.Client.GetAsync("/v1/me"))
        {
        }
        var before = collector.Received.Count;
        await collector.WaitUntilAsync(r => r.Count >= before + 2, "two OTLP exports after the first request");

        var category = typeof(OtlpExportFailures).FullName!;
        Assert.DoesNotContain(logs.Entries, e => e.Category == category);
    }

    [Fact]
    public async Task AnOtlpEndpointNothingListensOn_IsToldInTheLog_InOneLineNamingIt()
    {
        var logs = new CapturedLogs();
        var endpoint = $"http://127.0.0.1:{ServeProcess.FreePort()}";
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
            ["Telemetry:Metrics:Enabled"] = "false",
        }, configure: s => s.AddSingleton(logs.Provider()));

        var category = typeof(OtlpExportFailures).FullName!;
        CapturedLogs.Entry? reported = null;
        // Generous: exports come from a timer, which a busy machine runs late.
        for (var i = 0; i < 600 && reported is null; i++)
        {
            reported = logs.Entries.FirstOrDefault(e => e.Category == category);
            if (reported is null)
                await Task.Delay(100);
        }
        Assert.True(reported is not null, "no warning about the failing OTLP export within 60 s");
        Assert.StartsWith($"OpenTelemetry export to {endpoint} (OTEL_EXPORTER_OTLP_ENDPOINT): ", reported.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{new Uri(endpoint).Port}", reported.Message[endpoint.Length..], StringComparison.Ordinal);
        Assert.DoesNotContain('\n', reported.Message);
        Assert.DoesNotContain("   at ", reported.Message, StringComparison.Ordinal);
        Assert.Null(reported.Exception);
        // Throttled: the exports every 200 ms that keep failing are not each a line.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single(logs.Entries, e => e.Category == category);
    }
}
