using AgentCrm.Knowledge;
using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Retrieval;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>
/// What a `agentcrm knowledge ingest` killed between its store and its audit (kill -9) leaves on a data directory, made
/// deterministically: the documents are stored by a knowledge service of its own over the directory (as the CLI's, not
/// the server's), and no audit record is appended. It takes no lock: a killed process holds none any more.
/// </summary>
internal static class KilledKnowledgeWriter
{
    public static async Task<IReadOnlyList<IngestResult>> IngestFilesAsync(string dataDirectory, params string[] files)
    {
        await using var services = Services(dataDirectory);
        return await services.GetRequiredService<KnowledgeService>().IngestFilesAsync(files);
    }

    public static async Task DeleteAsync(string dataDirectory, string id)
    {
        await using var services = Services(dataDirectory);
        Assert.NotNull(await services.GetRequiredService<KnowledgeService>().DeleteDocumentAsync(id));
    }

    /// <summary>The ids the directory's catalog holds, read afresh.</summary>
    public static async Task<List<string>> DocumentIdsAsync(string dataDirectory)
    {
        await using var services = Services(dataDirectory);
        return [.. services.GetRequiredService<KnowledgeService>().ListDocuments().Select(d => d.Id)];
    }

    private static ServiceProvider Services(string dataDirectory)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Knowledge:DataDirectory"] = dataDirectory })
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddKnowledge();
        return services.BuildServiceProvider();
    }
}
