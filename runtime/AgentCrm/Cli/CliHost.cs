using System.CommandLine;
using AgentCrm.Agents;
using AgentCrm.Agents.Plugins;
using AgentCrm.Audit;
using AgentCrm.Sandbox;
using AgentCrm.Server;
using AgentCrm.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentCrm.Cli;

/// <summary>What the CLI verbs use, composed over the data directory without the server: the same services, the same rules.</summary>
internal static class CliHost
{
    /// <summary>Who a verb's changes are audited as: <c>cli:</c> and the user running it (the API audits the key or token).</summary>
    public static string Actor => $"cli:{Environment.UserName}";

    /// <summary>
    /// The database file a verb would open (the server's configuration, --data when given), its settings checked as
    /// <see cref="RunAsync"/> checks them; nothing is opened or created.
    /// </summary>
    public static string DatabasePath(ParseResult parse)
    {
        var configuration = Configuration(parse);
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        if (new StorageOptionsValidator().Validate(null, storage) is { Failed: true } invalid)
            throw new Microsoft.Extensions.Options.OptionsValidationException(StorageOptions.Section, typeof(StorageOptions), invalid.Failures);
        return storage.DatabasePath;
    }

    /// <summary>
    /// The folder the knowledge files (knowledge-catalog.db, knowledge.db) are kept in, as the server's start puts them:
    /// Knowledge:DataDirectory, or the data directory while that is left at its default.
    /// </summary>
    public static string KnowledgeDirectory(ParseResult parse)
    {
        var configuration = Configuration(parse);
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        var knowledge = configuration.GetSection(Knowledge.Options.KnowledgeOptions.SectionName).Get<Knowledge.Options.KnowledgeOptions>() ?? new Knowledge.Options.KnowledgeOptions();
        return Path.GetFullPath(Knowledge.KnowledgeHosting.DataDirectoryOf(knowledge, storage));
    }

    /// <summary>
    /// The server's configuration (appsettings.json beside the binary, appsettings.{environment}.json, environment variables),
    /// --data only when given, its settings checked: a verb works on the directory the server would, and refuses what it refuses.
    /// </summary>
    internal static IConfigurationRoot Configuration(ParseResult parse)
    {
        var builder = new ConfigurationBuilder();
        AgentCrmServer.AddConfiguration(builder, AgentCrmServer.EnvironmentName, [], AgentCrmCli.StorageOverrides(parse), reloadOnChange: false);
        var configuration = builder.Build();
        SettingsChecker.ThrowIfInvalid(configuration);
        return configuration;
    }

    /// <summary>The configuration as <see cref="Configuration"/> reads it, unchecked (to quote what a setting was given), or null when it cannot be read.</summary>
    internal static IConfigurationRoot? ConfigurationAsGiven(ParseResult parse)
    {
        try
        {
            var builder = new ConfigurationBuilder();
            AgentCrmServer.AddConfiguration(builder, AgentCrmServer.EnvironmentName, [], AgentCrmCli.StorageOverrides(parse), reloadOnChange: false);
            return builder.Build();
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or FormatException)
        {
            return null;
        }
    }

    // knowledge: the verb reads or writes the knowledge store (the knowledge verbs), so a store still empty gets the bundled
    // documents first, as the server's start does. Other verbs do not touch it: a key can be made while Qdrant is down.
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<IServiceProvider, CancellationToken, Task<int>> action, bool knowledge = false)
    {
        var configuration = Configuration(parse);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section);
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddSingleton(AgentCrmServer.SchemaFor);
        // A database this build already brought up to date is only read at open: the server's start does the schema's upkeep.
        services.AddSingleton(new SchemaUpkeep(EveryOpen: false));
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton<SqliteWriter>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        foreach (var kind in BuiltInKinds.All)
            services.AddSingleton(kind);
        services.AddAgentPlugins();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<AgentRegistry>();
        services.AddOptions<AgentsOptions>().BindConfiguration(AgentsOptions.Section);
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<AgentsOptions>, AgentsOptionsValidator>();
        services.AddSingleton<CaseSetStore>();
        services.AddOptions<SandboxOptions>().BindConfiguration(SandboxOptions.Section);
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<SandboxOptions>, SandboxOptionsValidator>();
        services.AddSingleton<ReportStore>();
        services.AddSingleton<Evaluator>();
        services.AddSingleton<AgentFitter>();
        services.AddSingleton<Lifecycle>();
        services.AddSingleton<Access.ApiKeyStore>();
        services.AddSingleton<Customers.ConsentStore>();
        services.AddOptions<Customers.ConsentOptions>().BindConfiguration(Customers.ConsentOptions.Section);
        Knowledge.KnowledgeHosting.AddKnowledgeCommon(services, configuration);
        await using var provider = services.BuildServiceProvider();
        // Bad Storage settings end the verb here in one line (OptionsValidationException), before any file is touched.
        var storage = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value;
        var created = !File.Exists(storage.DatabasePath);
        var directory = Path.GetDirectoryName(storage.DatabasePath)!;
        var folderWasThere = Directory.Exists(directory);
        await provider.GetRequiredService<AgentRegistry>().InitializeAsync(cancellationToken);
        // The database is there now. A verb refused in it (a mistyped --data: `agents promote` of a version only the real
        // directory has) says where it looked, in its one line (AgentCrmCli.Fail). What it made is left: another process may be
        // using the directory by then.
        if (created)
            AgentCrmCli.StartedDirectory = directory;
        await provider.GetRequiredService<CaseSetStore>().SeedBuiltInsAsync(cancellationToken);
        if (knowledge)
            await Knowledge.BundledKnowledge.EnsureIngestedAsync(provider.GetRequiredService<Knowledge.Retrieval.KnowledgeService>(), cancellationToken);
        var exit = await action(provider, cancellationToken);
        // A mistyped --data would otherwise look like a server with nothing on it yet: say so once, on stderr (--json output stays clean).
        if (created && exit == 0)
            Console.Error.WriteLine(NewDirectoryLine(directory, folderWasThere));
        return exit;
    }

    /// <summary>The line that says a verb (or serve) began a new data directory, so a mistyped --data is not taken for an empty server.</summary>
    public static string NewDirectoryLine(string directory, bool folderWasThere) => folderWasThere
        ? $"agentcrm: started a new data directory in {directory} (it held no agentcrm.db)"
        : $"agentcrm: created a new data directory at {directory} (there was none)";
}
