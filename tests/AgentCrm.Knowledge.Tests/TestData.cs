using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;

namespace AgentCrm.Knowledge.Tests;

/// <summary>A temporary data directory per test, and helpers to build a service over it.</summary>
internal sealed class TestData : IDisposable
{
    public TestData()
    {
        Directory = Path.Combine(Path.GetTempPath(), "agentcrm-knowledge-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public static string BundledDirectory { get; } = FindBundled();

    public static string Bundled(string fileName) => Path.Combine(BundledDirectory, fileName);

    public string StorePath => Path.Combine(Directory, KnowledgeOptions.EmbeddedStoreFileName);

    public KnowledgeService CreateService(Action<KnowledgeOptions>? configure = null) => CreateService(out _, configure);

    public KnowledgeService CreateService(out EmbeddedKnowledgeStore store, Action<KnowledgeOptions>? configure = null)
    {
        var options = new KnowledgeOptions { DataDirectory = Directory };
        configure?.Invoke(options);
        store = new EmbeddedKnowledgeStore(StorePath);
        return new KnowledgeService(store, new LocalEmbeddingGenerator(options.Dimension), Microsoft.Extensions.Options.Options.Create(options));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on some platform: the temp folder is cleaned later.
        }
    }

    private static string FindBundled()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "knowledge", "data");
            if (File.Exists(Path.Combine(candidate, "queries-dev.csv")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("knowledge/data with queries-dev.csv was not found above the test output folder.");
    }
}
