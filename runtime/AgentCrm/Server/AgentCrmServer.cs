using AgentCrm.Access;
using AgentCrm.Actors;
using AgentCrm.Agents;
using AgentCrm.Agents.Plugins;
using AgentCrm.Audit;
using AgentCrm.Briefs;
using AgentCrm.Customers;
using AgentCrm.Dapr;
using AgentCrm.Intake;
using AgentCrm.Knowledge;
using AgentCrm.Sandbox;
using AgentCrm.Webhooks;
using Serilog;
using Serilog.Formatting.Json;

namespace AgentCrm.Server;

/// <summary>Composes the server: the table of contents of what runs in `agentcrm serve`.</summary>
public static class AgentCrmServer
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>The part of the host's stop budget after the actors' drain: the writer's last commit, logs, the rest.</summary>
    public static readonly TimeSpan StopAfterDrain = TimeSpan.FromSeconds(10);

    /// <summary>Actors:DrainTimeout as configured when it is a valid one (positive, at most the hour the start's checks allow), else the default.</summary>
    private static TimeSpan DrainTimeoutOf(IConfiguration configuration) =>
        SettingsChecker.TryParseTimeSpan(configuration[$"{Actors.ActorOptions.Section}:{nameof(Actors.ActorOptions.DrainTimeout)}"], out var drain)
            && drain > TimeSpan.Zero && drain <= TimeSpan.FromHours(1)
            ? drain
            : Actors.ActorOptions.DefaultDrainTimeout;

    /// <summary>
    /// Knowledge documents the audit log shows the catalog holds: subjects whose latest knowledge record is an ingest (over
    /// the subject index, as <see cref="Knowledge.KnowledgeAudit"/> reads them).
    /// </summary>
    internal const string KnowledgeDocumentsKeptSql = $"""
        SELECT count(*) FROM audit WHERE action = '{Knowledge.KnowledgeAudit.Ingested}' AND seq IN (
            SELECT MAX(seq) FROM audit WHERE subject >= 'knowledge:' AND subject < 'knowledge;'
            AND action IN ('{Knowledge.KnowledgeAudit.Ingested}', '{Knowledge.KnowledgeAudit.Deleted}') GROUP BY subject)
        """;

    /// <summary>The server's tables, created with the actor host's when the database opens; the data format and the knowledge files are checked and stamped with it.</summary>
    public static readonly Storage.SchemaScript Schema = new("server", ServerSchema.Sql)
    {
        FormatVersion = ServerSchema.FormatVersion,
        CompanionFiles = Knowledge.Options.KnowledgeOptions.FileNames,
        AddedColumns = ServerSchema.AddedColumns,
    };

    /// <summary>
    /// <see cref="Schema"/> with the knowledge catalog expected where this configuration keeps it (<c>Knowledge:DataDirectory</c>
    /// may set it apart from the data directory): a lost catalog beside a database whose audit shows documents is refused.
    /// </summary>
    public static Storage.SchemaScript SchemaFor(IServiceProvider services) =>
        SchemaWithCatalogIn(services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Knowledge.Options.KnowledgeOptions>>().Value.DataDirectory);

    /// <summary><see cref="Schema"/> with the knowledge catalog expected in <paramref name="knowledgeDirectory"/> (`audit verify` checks a directory as a start would).</summary>
    internal static Storage.SchemaScript SchemaWithCatalogIn(string knowledgeDirectory) => Schema with
    {
        CompanionUses =
        [
            new(Path.Combine(Path.GetFullPath(knowledgeDirectory), Knowledge.Options.KnowledgeOptions.CatalogFileName),
                KnowledgeDocumentsKeptSql, "knowledge documents in its audit log (each one's latest knowledge record an ingest, not a deletion)"),
        ],
    };

    /// <param name="args">Command-line configuration.</param>
    /// <param name="overrides">Settings that win over every other source.</param>
    /// <param name="configure">Extra services (e.g. an agent kind an embedding application or a test adds).</param>
    public static WebApplication Build(string[] args, IDictionary<string, string?>? overrides = null, Action<IServiceCollection>? configure = null)
    {
        // Content root = the app's folder: appsettings.json ships there, and the file watcher that reloads it
        // must not watch the working directory, where ./data takes thousands of writes a second.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        // The same sources, in the same order, as the CLI verbs read (AddConfiguration): one configuration for both.
        builder.Configuration.Sources.Clear();
        // Read once at start (no file watcher: each would hold an inotify instance, of which a user has 128).
        AddConfiguration(builder.Configuration, builder.Environment.EnvironmentName, args, overrides, reloadOnChange: false);
        // Before anything reads a setting: a misspelt key, an enum given a number, a time past its maximum end the start here.
        SettingsChecker.ThrowIfInvalid(builder.Configuration);
        var runtime = builder.Configuration.GetSection(RuntimeOptions.Section).Get<RuntimeOptions>() ?? new RuntimeOptions();
        // Only when left out: one set empty or blank is not the default, and serve refuses it naming urls.
        if (builder.Configuration["urls"] is null && builder.Configuration["ASPNETCORE_URLS"] is null)
            builder.WebHost.UseUrls(DefaultUrls);
        // Kestrel's limits on the request line and headers are raised to a ceiling; ours answer ProblemDetails below it.
        builder.WebHost.ConfigureKestrel(RequestHeadLimits.RaiseKestrelLimits);

        builder.AddLogging(runtime.LogFormat);
        builder.Services.AddOptions<RuntimeOptions>().BindConfiguration(RuntimeOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<RuntimeOptions>, RuntimeOptionsValidator>();

        // Actors first: their host must be running before anything sends them messages, and stops last.
        // Runtime:Host picks the host; the actor classes, agents and pipeline are the same under both.
        var dapr = runtime.Host == ActorHostKind.Dapr;
        builder.Services.AddSingleton(SchemaFor);
        // Before anything that touches the data directory: one server per directory. The first hosted service, so the
        // first created: the lock, then the database (checked, migrated, stamped), then the brief stream's epoch (before
        // any brief is written: BriefStreamEpochs), then the services that use them.
        builder.Services.AddSingleton<DataDirectoryLock>();
        builder.Services.AddSingleton<BriefStreamEpochs>();
        builder.Services.AddHostedService(sp =>
        {
            var directoryLock = sp.GetRequiredService<DataDirectoryLock>();
            sp.GetRequiredService<Storage.SqliteDatabase>();
            sp.GetRequiredService<BriefStreamEpochs>();
            return directoryLock;
        });
        if (dapr)
            builder.Services.AddDaprActorHost();
        else
            builder.Services.AddEmbeddedActorHost();
        // The host's stop budget covers the webhooks' attempts in flight (stopped first), the actors' drain (Actors:DrainTimeout)
        // and the rest of the stop after it: with the
        // default 30 s for everything, whatever ran first (a stream, a request) left the drain less than the README says.
        // Read from the configuration, not IOptions<ActorOptions>: reading that validates it, and the host reads HostOptions
        // before the start's own checks, which name every bad setting at once (a bad value here counts as the default).
        builder.Services.AddOptions<HostOptions>().Configure<IConfiguration>((host, configuration) =>
            host.ShutdownTimeout = TimeSpan.FromTicks(Math.Max(host.ShutdownTimeout.Ticks, (DrainTimeoutOf(configuration) + StopAfterDrain + Webhooks.WebhookDispatcher.StopGrace).Ticks)));
        builder.Services.AddActor<CustomerActor>(CustomerActor.TypeName, CustomerActor.Methods, CustomerActor.Results, CustomerActor.Repeatable);
        builder.AddAgentRuntime();
        builder.AddIntake(dapr);
        builder.AddSandbox();
        builder.AddKnowledgeRuntime();
        builder.AddAccess();
        builder.AddWebhooks();
        Observability.MetricsHosting.AddMetricsExport(builder);

        configure?.Invoke(builder.Services);
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.FillDetail);
        // After the framework's writer, for the clients it declines (Accept: text/html): every error is ProblemDetails.
        builder.Services.AddSingleton<IProblemDetailsWriter, AnyAcceptProblemWriter>();
        builder.Services.AddExceptionHandler<BadRequestBodyHandler>();
        builder.Services.AddExceptionHandler<DependencyFailureHandler>();
        builder.Services.AddOpenApi(o => o.AddOperationTransformer<QueryNumbersOpenApi>().AddOperationTransformer<OpenApiDescriptionsTransformer>()
            .AddOperationTransformer<OpenApiV1Answers>().AddOperationTransformer<OpenApiStreams>().AddSchemaTransformer<OpenApiSchemas>()
            .AddDocumentTransformer<OpenApiDocumentTransformer>());
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
        });

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Before routing, which matches HEAD to no MapGet: HEAD is answered as GET, without the body.
        app.UseMiddleware<HeadRequests>();
        app.UseRouting();
        // Before authentication: a request with too long a URL or too many headers is refused without looking further.
        app.UseSecurityHeaders();
        app.UseMiddleware<RequestHeadLimits>();
        app.UseAccess();
        app.UseMiddleware<QueryParameterCheck>();
        app.UseMiddleware<BodyEncodingCheck>();
        // The framework answers a document name it does not know with a text/plain 404 of its own; the status-code pages
        // write it as every other 404, ProblemDetails, when no body was written.
        app.MapOpenApi().AddEndpointFilter(async (context, next) =>
        {
            var name = (context.HttpContext.GetRouteValue("documentName") as string ?? "").ToLowerInvariant();
            if (context.HttpContext.RequestServices.GetKeyedService<Microsoft.AspNetCore.OpenApi.IOpenApiDocumentProvider>(name) is null)
            {
                context.HttpContext.Response.StatusCode = StatusCodes.Status404NotFound;
                return Results.Empty;
            }
            return await next(context);
        });
        app.MapHealthApi();
        Observability.MetricsHosting.MapMetrics(app);
        app.MapEventsApi();
        app.MapDeadLettersApi();
        app.MapAgentsApi().MapPluginsApi();
        app.MapBriefsApi();
        app.MapBriefResponsesApi();
        app.MapReviewsApi();
        app.MapCustomersApi();
        app.MapCsmsApi();
        app.MapMeApi();
        app.MapAuditApi();
        app.MapWebhooksApi();
        app.MapSandboxApi();
        app.MapJobsApi();
        app.MapKnowledgeApi();
        WebConsole.ConsoleApi.MapConsole(app);
        if (dapr)
        {
            // daprd's calls into the app: actor config, turns, reminders, timers, deactivation, and event deliveries.
            app.MapDaprActors();
            app.MapEventSubscription();
        }
        return app;
    }

    /// <summary>
    /// Serilog to the console: text (with the request's <c>traceId=</c> when there is one, as a 5xx ProblemDetails shows it)
    /// or JSON (<c>Runtime:LogFormat</c>). Levels from <c>Serilog:MinimumLevel</c> (or <c>…:Default</c>) and
    /// <c>Serilog:MinimumLevel:Override:&lt;namespace&gt;</c>, else <c>Logging:LogLevel:Default</c> and
    /// <c>Logging:LogLevel:&lt;namespace&gt;</c>; by default Information, and Warning for Microsoft.AspNetCore, System.Net.Http.HttpClient and AgentCrm.Access.CredentialHandler.
    /// </summary>
    private static void AddLogging(this WebApplicationBuilder builder, LogFormat format)
    {
        var json = format == LogFormat.Json;
        var (minimum, overrides) = LogLevels(builder.Configuration);
        var config = new LoggerConfiguration().MinimumLevel.Is(minimum).Enrich.FromLogContext();
        foreach (var (prefix, level) in overrides)
            config = config.MinimumLevel.Override(prefix, level);
        // Timestamps in UTC with the date and the zone (2026-12-03T17:42:00.123Z), whatever the server's time zone.
        config = json
            ? config.WriteTo.Console(new UtcTimestamps(new TextRenderedMessage(new JsonFormatter(renderMessage: true))))
            : config.Enrich.With<TraceIdText>().WriteTo.Console(new UtcTimestamps(new Serilog.Formatting.Display.MessageTemplateTextFormatter(TextTemplate, System.Globalization.CultureInfo.InvariantCulture)));
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(config.CreateLogger(), dispose: true);
    }

    /// <summary>
    /// The configuration the server and every CLI verb read, in this order (a later source wins): DOTNET_- and
    /// ASPNETCORE_-prefixed environment variables, appsettings.json and appsettings.{environment}.json beside the binary
    /// (<see cref="AppContext.BaseDirectory"/>, not the working directory), environment variables, the command line,
    /// and <paramref name="overrides"/> (e.g. --data, --urls given explicitly).
    /// </summary>
    public static void AddConfiguration(IConfigurationBuilder configuration, string environmentName, string[] args, IDictionary<string, string?>? overrides, bool reloadOnChange)
    {
        configuration.AddEnvironmentVariables("DOTNET_");
        configuration.AddEnvironmentVariables("ASPNETCORE_");
        var files = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(AppContext.BaseDirectory);
        configuration.AddJsonFile(files, "appsettings.json", optional: true, reloadOnChange);
        configuration.AddJsonFile(files, $"appsettings.{environmentName}.json", optional: true, reloadOnChange);
        configuration.AddEnvironmentVariables();
        if (args.Length > 0)
            configuration.AddCommandLine(args);
        if (overrides is not null)
            configuration.AddInMemoryCollection(overrides);
    }

    /// <summary>The environment (appsettings.{environment}.json) as the web host picks it: ASPNETCORE_ENVIRONMENT, DOTNET_ENVIRONMENT, else Production.</summary>
    public static string EnvironmentName =>
        Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is { Length: > 0 } aspnet ? aspnet
        : Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is { Length: > 0 } dotnet ? dotnet
        : Environments.Production;

    /// <summary>The category of the first log line (the build, the data format, the data directory).</summary>
    internal const string StartCategory = "AgentCrm.Server.Start";

    /// <summary>
    /// The first log line: the build, the data format and the data directory. <c>serve</c> logs it once its checks before the
    /// start have passed, so a start refused by them (a bad setting, a port in use, a certificate that does not load) logs no
    /// "starting" line before its refusal. A category of its own, so that a log kept at Warning can keep this line alone
    /// (README, Serilog:MinimumLevel).
    /// </summary>
    internal static void LogStart(WebApplication app) =>
        app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(StartCategory).LogInformation("agentcrm {Version} (data format {Format}), data directory {DataDirectory}",
            BuildVersion, ServerSchema.FormatVersion, Path.GetFullPath(app.Configuration["Storage:DataDirectory"] ?? Storage.StorageOptions.DefaultDataDirectory));

    /// <summary>A Text log line: <c>[2026-12-03T17:42:00.123Z INF] Source: message traceId=…</c>.</summary>
    internal const string TextTemplate = "[{Timestamp:yyyy-MM-dd'T'HH:mm:ss.fff'Z'} {Level:u3}] {SourceContext}: {Message:lj}{TraceIdText:l}{NewLine}{Exception}";

    /// <summary>Formats each event with its timestamp converted to UTC (Serilog stamps local time).</summary>
    private sealed class UtcTimestamps(Serilog.Formatting.ITextFormatter inner) : Serilog.Formatting.ITextFormatter
    {
        public void Format(Serilog.Events.LogEvent logEvent, TextWriter output) =>
            inner.Format(new Serilog.Events.LogEvent(logEvent.Timestamp.ToUniversalTime(), logEvent.Level, logEvent.Exception, logEvent.MessageTemplate,
                logEvent.Properties.Select(p => new Serilog.Events.LogEventProperty(p.Key, p.Value)), logEvent.TraceId ?? default, logEvent.SpanId ?? default), output);
    }

    /// <summary>
    /// A JSON line whose <c>RenderedMessage</c> reads as the text log's message (<see cref="TextTemplate"/>'s <c>{Message:lj}</c>):
    /// Serilog's JSON renders string values quoted (<c>agentcrm "1.0.0+…"</c>), so a grep written against the text log missed
    /// the JSON one. The rest of the line is the inner formatter's, as it wrote it.
    /// </summary>
    internal sealed class TextRenderedMessage(Serilog.Formatting.ITextFormatter inner) : Serilog.Formatting.ITextFormatter
    {
        /// <summary>The property as <see cref="JsonFormatter"/> writes it: an unescaped quote is never inside a JSON string, so the first one is it.</summary>
        private const string Property = ",\"RenderedMessage\":\"";

        private static readonly Serilog.Formatting.Display.MessageTemplateTextFormatter Message = new("{Message:lj}", System.Globalization.CultureInfo.InvariantCulture);

        public void Format(Serilog.Events.LogEvent logEvent, TextWriter output)
        {
            using var json = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
            inner.Format(logEvent, json);
            var line = json.ToString();
            var start = line.IndexOf(Property, StringComparison.Ordinal);
            if (start < 0)
            {
                output.Write(line);
                return;
            }
            // The end of the quoted value: the next quote not escaped by a backslash (an escaped backslash escapes nothing).
            var end = start + Property.Length;
            while (end < line.Length && line[end] != '"')
                end += line[end] == '\\' ? 2 : 1;
            using var message = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
            Message.Format(logEvent, message);
            output.Write(line.AsSpan(0, start + Property.Length - 1));
            Serilog.Formatting.Json.JsonValueFormatter.WriteQuotedJsonString(message.ToString(), output);
            output.Write(line.AsSpan(Math.Min(end + 1, line.Length)));
        }
    }

    /// <summary>Below this, Microsoft.AspNetCore logs a line per request, and <see cref="HttpClientCategory"/> one per outgoing request: both kept at Warning unless set.</summary>
    private const Serilog.Events.LogEventLevel AspNetCoreDefault = Serilog.Events.LogEventLevel.Warning;

    private const string HttpClientCategory = "System.Net.Http.HttpClient";

    private static readonly string CredentialHandlerCategory = typeof(Access.CredentialHandler).FullName!;

    /// <summary>The minimum level and the per-namespace overrides the configuration sets (see <see cref="AddLogging"/>).</summary>
    internal static (Serilog.Events.LogEventLevel Minimum, IReadOnlyList<(string Prefix, Serilog.Events.LogEventLevel Level)> Overrides) LogLevels(IConfiguration configuration)
    {
        var serilog = configuration.GetSection("Serilog:MinimumLevel");
        var logging = configuration.GetSection("Logging:LogLevel");
        var minimumKey = serilog.Value is not null ? serilog.Path : serilog["Default"] is not null ? serilog.Path + ":Default" : logging["Default"] is not null ? logging.Path + ":Default" : null;
        var minimum = minimumKey is null ? Serilog.Events.LogEventLevel.Information : ParseLevel(minimumKey, configuration[minimumKey]);
        var overrides = new Dictionary<string, Serilog.Events.LogEventLevel>(StringComparer.Ordinal);
        foreach (var entry in logging.GetChildren().Where(c => c.Key != "Default" && c.Value is not null))
            overrides[entry.Key] = ParseLevel(entry.Path, entry.Value);
        foreach (var entry in serilog.GetSection("Override").GetChildren().Where(c => c.Value is not null))
            overrides[entry.Key] = ParseLevel(entry.Path, entry.Value);
        if (!overrides.ContainsKey("Microsoft.AspNetCore") && !overrides.ContainsKey("Microsoft") && minimum < AspNetCoreDefault)
            overrides["Microsoft.AspNetCore"] = AspNetCoreDefault;
        // IHttpClientFactory's clients (Qdrant's) log each request at Information, and each failed attempt with its stack
        // trace: one dependency that is down would flood the log. Our own retry and failure lines say what happened.
        if (!overrides.ContainsKey(HttpClientCategory) && !overrides.ContainsKey("System.Net.Http") && !overrides.ContainsKey("System") && minimum < AspNetCoreDefault)
            overrides[HttpClientCategory] = AspNetCoreDefault;
        // ASP.NET Core's authentication handler logs every 401 and 403 (one or two lines) under our handler's name: any
        // client, a scanner without a key included, would write to the log at will. The answer tells the client why.
        if (!overrides.ContainsKey(CredentialHandlerCategory) && !overrides.ContainsKey("AgentCrm.Access") && !overrides.ContainsKey("AgentCrm") && minimum < AspNetCoreDefault)
            overrides[CredentialHandlerCategory] = AspNetCoreDefault;
        return (minimum, overrides.Select(o => (o.Key, o.Value)).ToList());
    }

    /// <summary>A level by Serilog's name or Microsoft's (Trace, Critical; None silences).</summary>
    private static Serilog.Events.LogEventLevel ParseLevel(string key, string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "verbose" or "trace" => Serilog.Events.LogEventLevel.Verbose,
        "debug" => Serilog.Events.LogEventLevel.Debug,
        "information" => Serilog.Events.LogEventLevel.Information,
        "warning" => Serilog.Events.LogEventLevel.Warning,
        "error" => Serilog.Events.LogEventLevel.Error,
        "fatal" or "critical" => Serilog.Events.LogEventLevel.Fatal,
        "none" => Serilog.Events.LogEventLevel.Fatal + 1,
        _ => throw new Microsoft.Extensions.Options.OptionsValidationException(key, typeof(Serilog.Events.LogEventLevel),
            [$"{key}: '{value}' is not valid; it takes one of Verbose (Trace), Debug, Information, Warning, Error, Fatal (Critical), None."]),
    };

    /// <summary>" traceId=&lt;id&gt;" for a line logged within a request (the id its ProblemDetails carry); nothing otherwise.</summary>
    private sealed class TraceIdText : Serilog.Core.ILogEventEnricher
    {
        public void Enrich(Serilog.Events.LogEvent logEvent, Serilog.Core.ILogEventPropertyFactory propertyFactory)
        {
            if (System.Diagnostics.Activity.Current?.Id is { } id)
                logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty(nameof(TraceIdText), " traceId=" + id));
        }
    }

    /// <summary>The build, as <c>--version</c> prints it: the version and the commit it was built from.</summary>
    public static string BuildVersion =>
        typeof(AgentCrmServer).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";

    private static void AddAgentRuntime(this WebApplicationBuilder builder)
    {
        foreach (var kind in BuiltInKinds.All)
            builder.Services.AddSingleton(kind);
        builder.Services.AddAgentPlugins();
        builder.Services.AddOptions<AgentsOptions>().BindConfiguration(AgentsOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<AgentsOptions>, AgentsOptionsValidator>();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<AgentRegistry>();
        builder.Services.AddSingleton<BriefComposer>();
        builder.Services.AddSingleton<BriefStore>();
        builder.Services.AddSingleton<BriefDisclosure>();
        builder.Services.AddSingleton<BriefResponseStore>();
        builder.Services.AddSingleton<AssessmentAudit>();
        builder.Services.AddSingleton<ConsentStore>();
        builder.Services.AddOptions<ConsentOptions>().BindConfiguration(ConsentOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ConsentOptions>, ConsentOptionsValidator>();
        builder.Services.AddOptions<ReviewOptions>().BindConfiguration(ReviewOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ReviewOptions>, ReviewOptionsValidator>();
        builder.Services.AddSingleton<AutoSuspension>();
        builder.Services.AddSingleton<RuntimeMetrics>();
        builder.Services.AddHostedService<StartupInitializer>();
        builder.Services.AddHostedService<RegistryWatcher>();
        builder.Services.AddHostedService<ReviewWindowSweep>();
        builder.Services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<AuditOptions>, AuditOptionsValidator>();
        builder.Services.AddHostedService<AuditWatch>();
    }

    /// <summary>The knowledge store (embedded by default, Qdrant when configured), citations, and the optional chat model for briefs.</summary>
    private static void AddKnowledgeRuntime(this WebApplicationBuilder builder) =>
        KnowledgeHosting.AddKnowledgeCommon(builder.Services, builder.Configuration);

    private static void AddSandbox(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<Sandbox.SandboxOptions>().BindConfiguration(Sandbox.SandboxOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<Sandbox.SandboxOptions>, Sandbox.SandboxOptionsValidator>();
        builder.Services.AddSingleton<Sandbox.CaseSetStore>();
        builder.Services.AddSingleton<Sandbox.ReportStore>();
        builder.Services.AddSingleton<Sandbox.Evaluator>();
        builder.Services.AddSingleton<Sandbox.AgentFitter>();
        builder.Services.AddSingleton<Sandbox.SandboxJobs>();
        builder.Services.AddSingleton<Sandbox.Lifecycle>();
    }

    /// <summary>The inbox and its dispatcher; under Dapr the dispatcher publishes to pub/sub instead of calling actors.</summary>
    private static void AddIntake(this WebApplicationBuilder builder, bool dapr)
    {
        if (dapr)
            builder.Services.AddSingleton<IEventDelivery, DaprEventPublisher>();
        else
            builder.Services.AddSingleton<IEventDelivery, ActorEventDelivery>();
        builder.Services.AddOptions<IntakeOptions>().BindConfiguration(IntakeOptions.Section).ValidateOnStart()
            .PostConfigure<IConfiguration>((o, configuration) =>
            {
                // The binder reads a date without an offset in the server's time zone; the setting means UTC.
                if (SettingsChecker.ParseDate(configuration[$"{IntakeOptions.Section}:{nameof(IntakeOptions.Earliest)}"]) is { } earliest)
                    o.Earliest = earliest;
            });
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<IntakeOptions>, IntakeOptionsValidator>();
        builder.Services.AddSingleton<EventStore>();
        builder.Services.AddSingleton<EventDispatcher>();
        builder.Services.AddSingleton<DeadLetterStore>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EventDispatcher>());
    }
}
