using System.Diagnostics.Tracing;
using AgentCrm.Storage;

namespace AgentCrm.Observability;

/// <summary>
/// Tells the log what the OpenTelemetry SDK and its OTLP exporter report only through their EventSources: an export that fails
/// (a wrong <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, a collector that is down or refuses the data) otherwise dropped every export without
/// a line. Their warnings and errors about an export become one warning line each (the first line of an exception they carry,
/// not its stack trace), at most one per <see cref="LogInterval"/> with the count of those not logged since. The SDK's other
/// warnings (an instrument of a meter not exported is ignored, at every start) are not an export failing: they were logged as
/// one and took the minute's line. Runs only when OTLP push is on.
/// </summary>
internal sealed partial class OtlpExportFailures(IConfiguration configuration, TimeProvider time, ILogger<OtlpExportFailures> logger) : IHostedService
{
    /// <summary>The OTLP exporter's source: all it reports is about sending to the endpoint.</summary>
    private const string ExporterSource = "OpenTelemetry-Exporter-OpenTelemetryProtocol";

    /// <summary>The sources the SDK and the OTLP exporter report through.</summary>
    internal static readonly string[] Sources = [ExporterSource, "OpenTelemetry-Sdk"];

    /// <summary>
    /// The SDK's events that are an export failing: the exporter throwing inside the metric reader or an export processor,
    /// items dropped before they were exported. Its others are about instruments, views and settings.
    /// </summary>
    private static readonly string[] SdkExportFailures = ["MetricReaderException", "SpanProcessorException", "ExistsDroppedExportProcessorItems"];

    /// <summary>An export runs every minute by default (OTEL_METRIC_EXPORT_INTERVAL): a collector that is down is told about once a minute.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(60);

    private readonly LogThrottle _throttle = new(LogInterval, time);
    private Listener? _listener;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener = new Listener(this);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose();
        _listener = null;
        return Task.CompletedTask;
    }

    private void Report(EventWrittenEventArgs written)
    {
        if (written.Level is EventLevel.LogAlways or > EventLevel.Warning || !IsExportFailure(written) || !_throttle.ShouldLog("otlp", out var unlogged))
            return;
        LogReported(configuration[TelemetryOptions.OtlpEndpointKey] ?? "", Describe(written), unlogged, LogInterval.TotalSeconds);
    }

    private static bool IsExportFailure(EventWrittenEventArgs written) =>
        written.EventSource.Name == ExporterSource || SdkExportFailures.Contains(written.EventName, StringComparer.Ordinal);

    /// <summary>The event's message with its arguments, each cut to its first line (an exception's type and message, not its stack trace).</summary>
    internal static string Describe(EventWrittenEventArgs written)
    {
        var arguments = (written.Payload ?? []).Select(FirstLine).ToArray();
        if (!string.IsNullOrEmpty(written.Message))
        {
            try
            {
                return FirstLine(string.Format(System.Globalization.CultureInfo.InvariantCulture, written.Message, arguments));
            }
            catch (FormatException)
            {
                // A message whose placeholders do not match its arguments: the arguments as they are, below.
            }
        }
        return $"{written.EventName}: {string.Join("; ", arguments)}";
    }

    private static string FirstLine(object? value)
    {
        var text = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        var end = text.AsSpan().IndexOfAny('\r', '\n');
        return (end < 0 ? text : text[..end]).Trim();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpenTelemetry export to {Endpoint} (OTEL_EXPORTER_OTLP_ENDPOINT): {Problem} ({Unlogged} more such reports since the last one logged; logged at most once per {Interval} s)")]
    private partial void LogReported(string endpoint, string problem, int unlogged, double interval);

    /// <summary>
    /// Enables <see cref="Sources"/> at Warning. The base constructor announces the sources that exist already; the field
    /// initializer has set <see cref="_owner"/> by then (it runs before the base constructor).
    /// </summary>
    private sealed class Listener(OtlpExportFailures owner) : EventListener
    {
        private readonly OtlpExportFailures _owner = owner;

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (Sources.Contains(eventSource.Name, StringComparer.Ordinal))
                EnableEvents(eventSource, EventLevel.Warning);
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData) => _owner.Report(eventData);
    }
}
