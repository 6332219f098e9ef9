using AgentCrm.Knowledge.Stores;
using AgentCrm.Knowledge.Stores.Qdrant;

namespace AgentCrm.Knowledge.Tests.Qdrant;

/// <summary>One pass over every operation the store has, for the schema and differential tests.</summary>
internal static class QdrantScenario
{
    public static readonly float[] Query = [0.5f, 0.25f, -0.125f, 0.0625f];

    public static readonly SearchFilter Filter = new(DocumentId: "gdpr", Tags: ["privacy", "eu"], Scenario: "renewal-risk", Language: "en", Kind: "chunk");

    public const double ScoreThreshold = 0.25;

    public static readonly KnowledgeRecord[] Records =
    [
        QdrantTestStore.Record("gdpr#c0042", null, null, "privacy", "eu"),
        QdrantTestStore.Record("gdpr#d0007", "renewal-risk", "gdpr#c0042", "privacy"),
    ];

    public static async Task RunAsync(QdrantKnowledgeStore store)
    {
        await store.EnsureReadyAsync(4);
        await store.ReplaceDocumentAsync("gdpr", Records);
        await store.SearchAsync(Query, 5, Filter, ScoreThreshold);
        await store.DeleteDocumentAsync("gdpr");
        await store.IsHealthyAsync();
    }
}
