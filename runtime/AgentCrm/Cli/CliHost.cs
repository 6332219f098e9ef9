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
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<IServiceProvider, CancellationToken, Task<int>> action)
    {
        var services = new ServiceCollection();
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new StorageOptions { DataDirectory = parse.GetValue(AgentCrmCli.Data)! }));
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
        services.AddSingleton<ReportStore>();
        services.AddSingleton<Evaluator>();
        services.AddSingleton<AgentFitter>();
        services.AddSingleton<Lifecycle>();
        services.AddSingleton<Access.ApiKeyStore>();
        services.AddSingleton<Customers.ConsentStore>();
        services.AddOptions<Customers.ConsentOptions>().BindConfiguration(Customers.ConsentOptions.Section);
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        services.AddSingleton<IConfiguration>(configuration);
        Knowledge.KnowledgeHosting.AddKnowledgeCommon(services, configuration);
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<AgentRegistry>().InitializeAsync(cancellationToken);
        await provider.GetRequiredService<CaseSetStore>().SeedBuiltInsAsync(cancellationToken);
        await Knowledge.BundledKnowledge.IngestIfEmptyAsync(provider.GetRequiredService<Knowledge.Retrieval.KnowledgeService>(), cancellationToken);
        return await action(provider, cancellationToken);
    }
}
