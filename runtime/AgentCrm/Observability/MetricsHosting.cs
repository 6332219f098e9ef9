using System.Diagnostics.Metrics;
using AgentCrm.Access;
using AgentCrm.Customers;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace AgentCrm.Observability;

/// <summary>
/// Exports the meters: the runtime's own ("AgentCrm"), ASP.NET Core's and Kestrel's, and .NET's, scraped at
/// <c>GET /metrics</c> (Prometheus text format) and, when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, pushed over OTLP.
/// With neither, no listener is attached and the instruments cost nothing.
/// </summary>
public static class MetricsHosting
{
    /// <summary>Meters that .NET and ASP.NET Core publish themselves.</summary>
    private static readonly string[] BuiltInMeters = ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime"];

    public static void AddMetricsExport(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();
        var scrape = ScrapeEnabled(builder.Configuration);
        var otlp = builder.Configuration[TelemetryOptions.OtlpEndpointKey];
        // Not built while a setting is wrong: the validator stops the start naming it (the exporter threw on bad headers first).
        var push = !string.IsNullOrWhiteSpace(otlp) && TelemetryOptionsValidator.Problems(builder.Configuration).Count == 0;
        if (!scrape && !push)
            return;
        // Meters with a name are process-wide: export only this host's (its meter factory's) and the process's own,
        // so a second server in the process (tests, an embedding application) is not counted twice.
        builder.Services.ConfigureOpenTelemetryMeterProvider((sp, metrics) =>
        {
            var mine = sp.GetRequiredService<IMeterFactory>();
            metrics.AddView(i => i.Meter.Scope is null || ReferenceEquals(i.Meter.Scope, mine) ? null : MetricStreamConfiguration.Drop);
        });
        // Its instruments are created when the host starts (see RuntimeGauges.StartAsync), not when the exporter is built.
        builder.Services.AddHostedService<RuntimeGauges>();
        // A failing push is reported only through the SDK's EventSources: told in the log (throttled), not dropped unseen.
        if (push)
            builder.Services.AddHostedService<OtlpExportFailures>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("agentcrm"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter([RuntimeMetrics.MeterName, .. BuiltInMeters]);
                if (scrape)
                    metrics.AddPrometheusExporter(o => o.ScrapeEndpointPath = MetricsEndpointOptions.Path);
                if (push)
                    metrics.AddOtlpExporter();
            });
    }

    /// <summary>Maps <c>GET /metrics</c> unless Telemetry:Metrics:Enabled is false; ops, metrics or admin only unless Telemetry:Metrics:Anonymous.</summary>
    public static void MapMetrics(this WebApplication app)
    {
        if (!ScrapeEnabled(app.Configuration))
            return;
        // The exporter maps every verb; a scrape is a GET (HEAD too), anything else is 405.
        var endpoint = app.MapPrometheusScrapingEndpoint(MetricsEndpointOptions.Path)
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]))
            .DisableHttpMetrics()
            .WithTags("Operations")
            .WithName("Metrics")
            .WithDisplayName("Prometheus scrape");
        // A value that is not a boolean keeps it closed (and fails the start, from the options' binding).
        if (!(bool.TryParse(app.Configuration[$"{TelemetryOptions.Section}:Metrics:Anonymous"], out var anonymous) && anonymous))
            endpoint.RequireRoles(Roles.Ops, Roles.Metrics);
    }

    /// <summary>Read before the options are bound (the exporter is registered at build time); a bad value is reported by their validation.</summary>
    private static bool ScrapeEnabled(IConfiguration configuration) =>
        !bool.TryParse(configuration[$"{TelemetryOptions.Section}:Metrics:Enabled"], out var enabled) || enabled;
}
