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
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var otlp = configuration[TelemetryOptions.OtlpEndpointKey];
        return string.IsNullOrWhiteSpace(otlp) || IsHttpUri(otlp)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{TelemetryOptions.OtlpEndpointKey} must be an absolute http or https URI (e.g. http://collector:4317); it is '{otlp}'.");
    }

    internal static bool IsHttpUri(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
