using AgentCrm.Knowledge.Stores;
using AgentCrm.Knowledge.Stores.Qdrant;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentCrm.Knowledge.Tests.Qdrant;

internal static class QdrantTestStore
{
    public const string Collection = "kb";
    public const string ApiKey = "test-key";

    public static QdrantKnowledgeStore Create(RecordingQdrantServer server, string? apiKey = ApiKey, TimeSpan? timeout = null, int maxRetries = 3) =>
        new(new PlainHttpClientFactory(),
            new QdrantOptions { Url = server.Url, ApiKey = apiKey, Collection = Collection, Timeout = timeout ?? TimeSpan.FromSeconds(30) },
            NullLogger.Instance,
            TimeProvider.System,
            new QdrantRetry(maxRetries, TimeSpan.Zero));

    public static KnowledgeRecord Record(string id, string? scenario = null, string? sourceChunkId = null, params string[] tags) =>
        new(id, "gdpr", "GDPR", "CHAPTER III › Article 17 — Right to erasure", sourceChunkId is null ? "chunk" : "distilled",
            "The data subject shall have the right to obtain erasure.", tags, scenario, "en", [0.5f, 0.25f, -0.125f, 0.0625f], sourceChunkId);

    private sealed class PlainHttpClientFactory : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new() { Timeout = Timeout.InfiniteTimeSpan };
    }
}
