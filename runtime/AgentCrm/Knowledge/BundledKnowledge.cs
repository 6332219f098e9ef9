using AgentCrm.Knowledge.Retrieval;

namespace AgentCrm.Knowledge;

/// <summary>The documents that ship with AgentCrm (knowledge/data beside the executable), ingested on a first start.</summary>
public static class BundledKnowledge
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "knowledge", "data");

    public static async Task IngestIfEmptyAsync(KnowledgeService knowledge, CancellationToken cancellationToken = default)
    {
        if (knowledge.ListDocuments().Count > 0 || !System.IO.Directory.Exists(Directory))
            return;
        await knowledge.IngestDirectoryAsync(Directory, cancellationToken: cancellationToken);
    }
}
