using System.Net;
using AgentCrm.Dapr;
using AgentCrm.Knowledge.Chat;
using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Stores.Qdrant;
using AgentCrm.Server;

namespace AgentCrm.Runtime.Tests.EndToEnd;

/// <summary>Which dependency failures a client may retry (503 + Retry-After) and which need their configuration fixed (502).</summary>
public sealed class DependencyFailureTests
{
    public static TheoryData<string, Exception, bool?> Failures() => new()
    {
        { "Qdrant unreachable", new QdrantException("failed after 3 attempts", innerException: new HttpRequestException("Connection refused")), true },
        { "Qdrant overloaded", new QdrantException("answered 503", HttpStatusCode.ServiceUnavailable), true },
        { "Qdrant wrong key", new QdrantException("answered 401", HttpStatusCode.Unauthorized), false },
        { "Qdrant busy (write accepted, not applied)", new QdrantException("upsert not applied", HttpStatusCode.OK, updateStatus: "wait_timeout"), true },
        { "Qdrant write only acknowledged", new QdrantException("upsert not applied", HttpStatusCode.OK, updateStatus: "acknowledged"), true },
        { "Qdrant collection of another size", new QdrantException("holds 8-dimensional vectors"), false },
        { "daprd unreachable", new DaprApiException("could not be reached", new HttpRequestException("Connection refused")), true },
        { "daprd refuses", new DaprApiException("invoke", HttpStatusCode.BadRequest, "ERR_BAD_REQUEST", "invalid request"), false },
        // The actor moved off the sidecar mid-turn (sheet §3.1): its next call goes to the new host.
        { "daprd: actor no longer here", new DaprApiException("save actor state", HttpStatusCode.BadRequest, "ERR_ACTOR_INSTANCE_MISSING", "actor instance is missing"), true },
        { "embeddings rate-limited", new EmbeddingServiceException("answered 429", statusCode: HttpStatusCode.TooManyRequests), true },
        { "embeddings wrong key", new EmbeddingServiceException("answered 401", statusCode: HttpStatusCode.Unauthorized), false },
        { "embeddings of another dimension", new EmbeddingServiceException("returned 768 dimensions"), false },
        { "chat model down", new ChatModelException("answered 502", statusCode: HttpStatusCode.BadGateway), true },
        { "connection refused", new HttpRequestException("Connection refused"), true },
        { "a bug", new InvalidOperationException("oops"), null },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Classify_TellsRetryableFromMisconfigured(string name, Exception failure, bool? transient)
    {
        var classified = DependencyFailureHandler.Classify(failure);
        Assert.True(transient == classified?.Transient, $"{name}: expected {transient?.ToString() ?? "not a dependency failure"}, got {classified}");
    }
}
