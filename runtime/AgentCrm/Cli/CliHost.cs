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

    // knowledge: the verb reads or writes the knowledge store (the knowledge verbs), so a store still empty gets the bundled
    // documents first, as the server's start does. Other verbs do not touch it: a key can be made while Qdrant is down.
    /// <summary>
    /// The database file a verb would open (the server's configuration, --data when given), its settings checked as
    /// <see cref="RunAsync"/> checks them; nothing is opened or created.
    /// </summary>
    public static string DatabasePath(ParseResult parse)
    {
        var builder = new ConfigurationBuilder();
        AgentCrmServer.AddConfiguration(builder, AgentCrmServer.EnvironmentName, [], AgentCrmCli.StorageOverrides(parse), reloadOnChange: false);
        var configuration = builder.Build();
        SettingsChecker.ThrowIfInvalid(configuration);
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        if (new StorageOptionsValidator().Validate(null, storage) is { Failed: true } invalid)
            throw new Microsoft.Extensions.Options.OptionsValidationException(StorageOptions.Section, typeof(StorageOptions), invalid.Failures);
        return storage.DatabasePath;
    }

    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<IServiceProvider, CancellationToken, Task<int>> action, bool knowledge = false)
    {
        // The server's configuration (appsettings.json beside the binary, appsettings.{environment}.json, environment
        // variables), --data only when given: a verb works on the directory the server would, and refuses what it refuses.
        var builder = new ConfigurationBuilder();
        AgentCrmServer.AddConfiguration(builder, AgentCrmServer.EnvironmentName, [], AgentCrmCli.StorageOverrides(parse), reloadOnChange: false);
        var configuration = builder.Build();
        SettingsChecker.ThrowIfInvalid(configuration);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section);
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddSingleton(AgentCrmServer.Schema);
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
        var made = created ? new MadeHere(directory) : null;
        int exit;
        try
        {
            await provider.GetRequiredService<AgentRegistry>().InitializeAsync(cancellationToken);
            await provider.GetRequiredService<CaseSetStore>().SeedBuiltInsAsync(cancellationToken);
            if (knowledge)
                await Knowledge.BundledKnowledge.EnsureIngestedAsync(provider.GetRequiredService<Knowledge.Retrieval.KnowledgeService>(), cancellationToken);
            exit = await action(provider, cancellationToken);
        }
        catch (Exception ex) when (made is not null && AgentCrmCli.IsToldByItsMessage(ex) && !cancellationToken.IsCancellationRequested)
        {
            // Refused in a directory this verb just made (a mistyped --data: `agents promote` of a version only the real directory
            // has): nothing of it is left behind, and the one line says where the verb looked.
            await provider.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            made.Remove();
            throw new NewDataDirectoryRefusedException($"{ex.Message.TrimEnd()} ({directory} held no agentcrm.db: is --data right? Nothing was left there.)", ex);
        }
        // A mistyped --data would otherwise look like a server with nothing on it yet: say so once, on stderr (--json output stays clean).
        if (created && exit == 0)
            Console.Error.WriteLine(folderWasThere
                ? $"agentcrm: started a new data directory in {directory} (it held no agentcrm.db)"
                : $"agentcrm: created a new data directory at {directory} (there was none)");
        return exit;
    }

    /// <summary>What a verb is about to create for a data directory without a database: the folders missing on its path, or the files it will add.</summary>
    private sealed class MadeHere
    {
        private readonly string? _highestMissing;
        private readonly string _directory;
        private readonly HashSet<string> _entriesBefore = new(StringComparer.Ordinal);

        public MadeHere(string directory)
        {
            _directory = directory;
            for (var d = Path.GetFullPath(directory); d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d))
                _highestMissing = d;
            if (_highestMissing is null)
                _entriesBefore.UnionWith(Directory.GetFileSystemEntries(directory));
        }

        public void Remove()
        {
            try
            {
                if (_highestMissing is not null)
                    Directory.Delete(_highestMissing, recursive: true);
                else
                    foreach (var entry in Directory.GetFiles(_directory).Where(f => !_entriesBefore.Contains(f)))
                        File.Delete(entry);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort: the refusal is what the user needs to read.
            }
        }
    }
}

/// <summary>A verb refused in a data directory it had just made (no agentcrm.db was there): removed again, and said so.</summary>
public sealed class NewDataDirectoryRefusedException(string message, Exception inner) : InvalidOperationException(message, inner);
