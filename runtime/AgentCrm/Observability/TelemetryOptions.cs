using Microsoft.Extensions.Options;

namespace AgentCrm.Observability;

/// <summary>Settings under <c>Telemetry</c>: the Prometheus scrape endpoint (and, through the standard variable, an OTLP push).</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>The standard OpenTelemetry variable: when set, metrics are also pushed there over OTLP.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public MetricsEndpointOptions Metrics { get; set; } = new();
}

/// <summary><c>GET /metrics</c>: on by default, for a credential with role ops or admin unless <see cref="Anonymous"/>.</summary>
public sealed class MetricsEndpointOptions
{
    public const string Path = "/metrics";

    /// <summary>Whether <c>GET /metrics</c> is served at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Serves it without a credential (a scraper on a private network that cannot send one).</summary>
    public bool Anonymous { get; set; }
}

internal sealed class TelemetryOptionsValidator(IConfiguration configuration) : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options) =>
        Problems(configuration) is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;

    /// <summary>
    /// What is wrong with the OTLP push's settings (none when no endpoint is set): the endpoint, and the exporter's other
    /// standard variables, which it takes without a word when they are wrong — a protocol it does not speak (http/json, a
    /// typo) fell back to gRPC, an interval that is no number was ignored, and headers it cannot parse stopped the start in a
    /// line that named no variable (qa42c #1, #3). The exporter is not built while any is wrong, so the start names them. An
    /// empty one is unset, here as for the exporter (a template's <c>OTEL_EXPORTER_OTLP_PROTOCOL=</c> or <c>${X:-}</c>).
    /// </summary>
    internal static List<string> Problems(IConfiguration configuration)
    {
        var failures = new List<string>();
        var otlp = configuration[TelemetryOptions.OtlpEndpointKey];
        if (string.IsNullOrWhiteSpace(otlp))
            return failures;
        if (!IsHttpUri(otlp))
            failures.Add($"{TelemetryOptions.OtlpEndpointKey} must be an absolute http or https URI (e.g. http://collector:4317); it is '{otlp}'.");
        foreach (var key in (string[])["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"])
            if (configuration[key] is { } protocol && !string.IsNullOrWhiteSpace(protocol) && protocol.Trim() is not ("grpc" or "http/protobuf"))
                failures.Add($"{key} must be grpc or http/protobuf (the protocols this build's exporter speaks; http/json is not one); it is '{protocol}'.");
        foreach (var key in (string[])["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS"])
            if (configuration[key] is { } headers && !string.IsNullOrWhiteSpace(headers) && BadHeader(headers) is { } entry)
                failures.Add($"{key} must be a comma-separated list of key=value pairs (e.g. Authorization=Bearer%20TOKEN); its entry {entry} is not one (its value is not shown here).");
        foreach (var key in (string[])["OTEL_METRIC_EXPORT_INTERVAL", "OTEL_METRIC_EXPORT_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT"])
            if (configuration[key] is { } millis && !string.IsNullOrWhiteSpace(millis) && !(int.TryParse(millis.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms) && ms > 0))
                failures.Add($"{key} must be a whole number of milliseconds above 0 (e.g. 60000); it is '{millis}'.");
        return failures;
    }

    /// <summary>The 1-based number of the first entry of an OTLP headers list that is not <c>key=value</c> with a key, or null.</summary>
    private static int? BadHeader(string headers)
    {
        var entries = headers.Split(',');
        for (var i = 0; i < entries.Length; i++)
            if (entries[i].IndexOf('=', StringComparison.Ordinal) is var at && (at <= 0 || entries[i][..at].Trim().Length == 0))
                return i + 1;
        return null;
    }

    internal static bool IsHttpUri(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
