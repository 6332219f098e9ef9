using System.Net;
using System.Text.Json.Nodes;
using AgentCrm.Knowledge.Stores;
using AgentCrm.Knowledge.Stores.Qdrant;
using Polly.Timeout;

namespace AgentCrm.Knowledge.Tests.Qdrant;

public sealed class QdrantKnowledgeStoreTests : IAsyncLifetime
{
    private RecordingQdrantServer _server = null!;

    public async Task InitializeAsync() => _server = await RecordingQdrantServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task EnsureReady_MissingCollection_CreatesCollectionAndKeywordIndexes()
    {
        var store = QdrantTestStore.Create(_server);

        await store.EnsureReadyAsync(4);

        var requests = _server.Requests;
        Assert.Equal(
            ["GET /collections/kb", "PUT /collections/kb", .. Enumerable.Repeat("PUT /collections/kb/index?wait=true", 5)],
            requests.Select(r => $"{r.Method} {r.Path}{r.Query}"));
        AssertJson("""{"vectors":{"size":4,"distance":"Cosine"}}""", requests[1].Json);
        Assert.Equal(
            ["document_id", "tags", "scenario", "language", "kind"],
            requests.Skip(2).Select(r => (string)r.Json!["field_name"]!));
        Assert.All(requests.Skip(2), r => Assert.Equal("keyword", (string)r.Json!["field_schema"]!));
        Assert.All(requests, r => Assert.Equal(QdrantTestStore.ApiKey, r.Header("api-key")));
        Assert.All(requests.Skip(1), r => Assert.Equal("application/json", r.Header("content-type")));
    }

    [Fact]
    public async Task EnsureReady_CreateRace409_IsFineAndIndexesAreStillCreated()
    {
        // Another instance creates the collection between our GET and PUT.
        _server.Script("GET", "/collections/kb", QdrantExamples.NotFound("kb"), new(200, QdrantExamples.CollectionInfo(4, [])));
        _server.Script("PUT", "/collections/kb", QdrantExamples.AlreadyExists("kb"));
        var store = QdrantTestStore.Create(_server);

        await store.EnsureReadyAsync(4);

        Assert.Equal(["GET /collections/kb", "PUT /collections/kb", "GET /collections/kb"], _server.Requests.Take(3).Select(r => $"{r.Method} {r.Path}"));
        Assert.Equal(5, _server.Requests.Count(r => r.Path == "/collections/kb/index"));
    }

    [Fact]
    public async Task EnsureReady_CreateRaceLostToOtherVectors_ThrowsNamingTheMismatch()
    {
        _server.Script("GET", "/collections/kb", QdrantExamples.NotFound("kb"), new(200, QdrantExamples.CollectionInfo(8, [])));
        _server.Script("PUT", "/collections/kb", QdrantExamples.AlreadyExists("kb"));
        var store = QdrantTestStore.Create(_server);

        var ex = await Assert.ThrowsAsync<QdrantException>(() => store.EnsureReadyAsync(4));

        Assert.Contains("8-dimensional", ex.Message);
    }

    [Fact]
    public async Task EnsureReady_ExistingCollection_CreatesOnlyMissingIndexes()
    {
        _server.CollectionExists = true;
        _server.CollectionInfo = QdrantExamples.CollectionInfo(4, ["document_id", "tags"]);
        var store = QdrantTestStore.Create(_server);

        await store.EnsureReadyAsync(4);

        Assert.Equal(["GET", "PUT", "PUT", "PUT"], _server.Requests.Select(r => r.Method));
        Assert.Equal(["scenario", "language", "kind"], _server.Requests.Skip(1).Select(r => (string)r.Json!["field_name"]!));
    }

    [Theory]
    [InlineData(8, "Cosine", "8-dimensional")]
    [InlineData(4, "Dot", "Dot distance")]
    public async Task EnsureReady_ExistingCollectionWithOtherVectors_ThrowsNamingTheMismatch(int size, string distance, string expected)
    {
        _server.CollectionExists = true;
        _server.CollectionInfo = QdrantExamples.CollectionInfo(size, [], distance);
        var store = QdrantTestStore.Create(_server);

        var ex = await Assert.ThrowsAsync<QdrantException>(() => store.EnsureReadyAsync(4));

        Assert.Contains(expected, ex.Message);
        Assert.Contains("Knowledge:Qdrant:Collection", ex.Message);
    }

    [Fact]
    public async Task ReplaceDocument_UpsertsInBatchesWithWait_ThenDeletesTheDocumentsOtherPoints()
    {
        var store = QdrantTestStore.Create(_server);
        var records = Enumerable.Range(0, 300).Select(i => QdrantTestStore.Record($"gdpr#c{i:0000}", tags: "privacy")).ToList();

        await store.ReplaceDocumentAsync("gdpr", records);

        var requests = _server.Requests;
        Assert.Equal(
            ["PUT /collections/kb/points?wait=true", "PUT /collections/kb/points?wait=true", "POST /collections/kb/points/delete?wait=true"],
            requests.Select(r => $"{r.Method} {r.Path}{r.Query}"));
        Assert.Equal(256, requests[0].Json!["points"]!.AsArray().Count);
        Assert.Equal(44, requests[1].Json!["points"]!.AsArray().Count);
        var filter = requests[2].Json!["filter"]!;
        AssertJson("""[{"key":"document_id","match":{"value":"gdpr"}}]""", filter["must"]);
        var kept = filter["must_not"]![0]!["has_id"]!.AsArray().Select(id => id!.GetValue<string>()).ToList();
        Assert.Equal(requests[0].Json!["points"]!.AsArray().Concat(requests[1].Json!["points"]!.AsArray()).Select(p => p!["id"]!.GetValue<string>()), kept);
    }

    [Fact]
    public async Task ReplaceDocument_PointCarriesUuidVectorAndEveryRecordField()
    {
        var store = QdrantTestStore.Create(_server);

        await store.ReplaceDocumentAsync("gdpr", [QdrantTestStore.Record("gdpr#d0007", "renewal-risk", "gdpr#c0042", "privacy", "eu")]);

        AssertJson("""
            {"points":[{"id":"18bbcc0e-dc27-58a7-9a35-d000b126e7d7","vector":[0.5,0.25,-0.125,0.0625],
              "payload":{"record_id":"gdpr#d0007","document_id":"gdpr","title":"GDPR","section":"CHAPTER III › Article 17 — Right to erasure",
                         "kind":"distilled","text":"The data subject shall have the right to obtain erasure.","tags":["privacy","eu"],
                         "scenario":"renewal-risk","language":"en","source_chunk_id":"gdpr#c0042"}}]}
            """, _server.Requests[0].Json);
    }

    [Fact]
    public async Task ReplaceDocument_RecordOfAnotherDocument_ThrowsBeforeSendingAnything()
    {
        var store = QdrantTestStore.Create(_server);
        var stranger = QdrantTestStore.Record("x#c0001") with { DocumentId = "x" };

        await Assert.ThrowsAsync<ArgumentException>(() => store.ReplaceDocumentAsync("gdpr", [stranger]));

        Assert.Empty(_server.Requests);
    }

    [Theory]
    [InlineData("wait_timeout")]
    [InlineData("acknowledged")]
    public async Task ReplaceDocument_UpsertNotConfirmedApplied_ThrowsAndIsNotRetried(string status)
    {
        _server.Script("PUT", "/collections/kb/points", new CannedResponse(200, QdrantExamples.UpdateResult(status)));
        var store = QdrantTestStore.Create(_server);

        var ex = await Assert.ThrowsAsync<QdrantException>(() => store.ReplaceDocumentAsync("gdpr", [QdrantTestStore.Record("gdpr#c0001")]));

        Assert.Equal(status, ex.UpdateStatus);
        Assert.Contains("not confirmed as applied", ex.Message);
        Assert.Single(_server.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public async Task DeleteDocument_WaitTimeout_IsNotTreatedAsApplied()
    {
        _server.Script("POST", "/collections/kb/points/delete", new CannedResponse(200, QdrantExamples.UpdateResult("wait_timeout")));
        var store = QdrantTestStore.Create(_server);

        var ex = await Assert.ThrowsAsync<QdrantException>(() => store.DeleteDocumentAsync("gdpr"));

        Assert.Equal("wait_timeout", ex.UpdateStatus);
    }

    [Fact]
    public async Task Search_SendsQueryWithFilterLimitThresholdAndPayload_AndMapsHitsBack()
    {
        var store = QdrantTestStore.Create(_server);

        var hits = await store.SearchAsync([0.5f, 0.25f, -0.125f, 0.0625f], 5,
            new SearchFilter(DocumentId: "gdpr", Tags: ["privacy", "eu"], Scenario: "renewal-risk", Language: "en", Kind: "chunk"), 0.5);

        var request = Assert.Single(_server.Requests);
        Assert.Equal("POST /collections/kb/points/query", $"{request.Method} {request.Path}{request.Query}");
        AssertJson("""
            {"query":[0.5,0.25,-0.125,0.0625],
             "filter":{"must":[{"key":"document_id","match":{"value":"gdpr"}},{"key":"scenario","match":{"value":"renewal-risk"}},
                               {"key":"language","match":{"value":"en"}},{"key":"kind","match":{"value":"chunk"}}],
                       "should":[{"key":"tags","match":{"value":"privacy"}},{"key":"tags","match":{"value":"eu"}}]},
             "limit":5,"score_threshold":0.5,"with_payload":true}
            """, request.Json);
        Assert.Equal([0.91, 0.55], hits.Select(h => h.Score));
        var first = hits[0].Record;
        Assert.Equal(("gdpr#c0042", "gdpr", "GDPR", "chunk", "en"), (first.Id, first.DocumentId, first.Title, first.Kind, first.Language));
        Assert.Equal(["privacy", "eu"], first.Tags);
        Assert.Null(first.Scenario);
        Assert.Null(first.SourceChunkId);
        Assert.Empty(first.Vector);
        Assert.Equal(("renewal-risk", "gdpr#c0042"), (hits[1].Record.Scenario, hits[1].Record.SourceChunkId));
        Assert.Equal([0.5f, 0.5f, 0.5f, 0.5f], hits[1].Record.Vector);
    }

    [Fact]
    public async Task Search_NoFilterNoThreshold_SendsMinimalQuery()
    {
        var store = QdrantTestStore.Create(_server);

        await store.SearchAsync([1f, 0f, 0f, 0f], 3);

        AssertJson("""{"query":[1,0,0,0],"limit":3,"with_payload":true}""", _server.Requests[0].Json);
    }

    [Fact]
    public async Task Search_HitBelowThreshold_IsDroppedEvenIfServerReturnsIt()
    {
        var store = QdrantTestStore.Create(_server);

        var hits = await store.SearchAsync([1f, 0f, 0f, 0f], 5, scoreThreshold: 0.6);

        Assert.Equal([0.91], hits.Select(h => h.Score));
    }

    [Fact]
    public async Task Search_QueryRoute404WhileTheCollectionExists_IsARefusalNamingThePathAndVersion_NotALostCollection()
    {
        // Qdrant before 1.10 has no /points/query (sheet §0, §12): actix answers an unknown route 404 with an empty body.
        _server.CollectionExists = true;
        _server.Script("POST", "/collections/kb/points/query", new CannedResponse(404, "", "text/plain"));
        var store = QdrantTestStore.Create(_server);

        var ex = await Assert.ThrowsAsync<QdrantException>(() => store.SearchAsync([1f, 0f, 0f, 0f], 5));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Contains("POST collections/kb/points/query", ex.Message);
        Assert.Contains("Qdrant 1.10 or later", ex.Message);
        Assert.DoesNotContain("null", ex.Message);
        Assert.Equal(["POST /collections/kb/points/query", "GET /collections/kb"], _server.Requests.Select(r => $"{r.Method} {r.Path}"));
    }

    [Fact]
    public async Task Search_404CollectionNotFound_IsALostCollection_WithoutAskingAgain()
    {
        _server.Script("POST", "/collections/kb/points/query", QdrantExamples.NotFound("kb"));
        var store = QdrantTestStore.Create(_server);

        await Assert.ThrowsAsync<KnowledgeStoreLostException>(() => store.SearchAsync([1f, 0f, 0f, 0f], 5));

        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task Search_404WithoutErrorText_AndTheCollectionGone_IsALostCollection()
    {
        _server.Script("POST", "/collections/kb/points/query", new CannedResponse(404, "", "text/plain"));
        var store = QdrantTestStore.Create(_server);

        var ex = await Assert.ThrowsAsync<KnowledgeStoreLostException>(() => store.SearchAsync([1f, 0f, 0f, 0f], 5));

        Assert.Contains("no error text", ex.Message);
        Assert.Equal(["POST /collections/kb/points/query", "GET /collections/kb"], _server.Requests.Select(r => $"{r.Method} {r.Path}"));
    }

    [Fact]
    public async Task Send_5xxEveryTime_IsRetriedThenFailsWithQdrantsErrorText()
    {
        _server.Script("POST", "/collections/kb/points/query", Enumerable.Repeat(QdrantExamples.Error(503, "Service internal error: shard 0 is not available"), 4).ToArray());
        var store = QdrantTestStore.Create(_server, maxRetries: 3);

        var ex = await Assert.ThrowsAsync<QdrantException>(() => store.SearchAsync([1f, 0f, 0f, 0f], 3));

        Assert.Equal(4, _server.Requests.Count);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        Assert.Equal("Service internal error: shard 0 is not available", ex.ServerError);
        Assert.Contains("after 4 attempts", ex.Message);
        Assert.Contains("HTTP 503", ex.Message);
    }

    [Fact]
    public async Task Send_TransientFailuresThenSuccess_Succeeds()
    {
        _server.Script("PUT", "/collections/kb/points",
            QdrantExamples.Error(500, "Service internal error: boom"),
            QdrantExamples.Error(429, "Too many requests") with { RetryAfter = "0" });
        var store = QdrantTestStore.Create(_server);

        await store.ReplaceDocumentAsync("gdpr", [QdrantTestStore.Record("gdpr#c0001")]);

        Assert.Equal(3, _server.Requests.Count(r => r.Method == "PUT"));
    }

    [Fact]
    public async Task Send_NoAnswerWithinTimeout_IsRetriedThenFailsClearly()
    {
        var slow = new CannedResponse(200, QdrantExamples.QueryResponse, Delay: TimeSpan.FromSeconds(30));
        _server.Script("POST", "/collections/kb/points/query", slow, slow);
        var store = QdrantTestStore.Create(_server, timeout: TimeSpan.FromSeconds(1), maxRetries: 1);

        var ex = await Assert.ThrowsAsync<QdrantException>(() => store.SearchAsync([1f, 0f, 0f, 0f], 3));

        Assert.IsType<TimeoutRejectedException>(ex.InnerException);
        Assert.Contains("after 2 attempt(s)", ex.Message);
        // The second attempt may still be in flight on the server side when the client gives up.
        await _server.WaitForRequestsAsync(2, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Send_400_IsNotRetriedAndSurfacesTheErrorText()
    {
        _server.Script("PUT", "/collections/kb/points", QdrantExamples.Error(400, "Wrong input: Vector dimension error: expected dim: 4, got 3"));
        var store = QdrantTestStore.Create(_server);

        var ex = await Assert.ThrowsAsync<QdrantException>(() => store.ReplaceDocumentAsync("gdpr", [QdrantTestStore.Record("gdpr#c0001")]));

        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Contains("Wrong input: Vector dimension error: expected dim: 4, got 3", ex.Message);
        Assert.Single(_server.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public async Task Send_401PlainText_SurfacesTheText()
    {
        _server.Script("GET", "/collections/kb", new CannedResponse(401, "Must provide an API key or an Authorization bearer token", "text/plain"));
        var store = QdrantTestStore.Create(_server, apiKey: null);

        var ex = await Assert.ThrowsAsync<QdrantException>(() => store.EnsureReadyAsync(4));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal("Must provide an API key or an Authorization bearer token", ex.ServerError);
        Assert.Null(_server.Requests[0].Header("api-key"));
    }

    [Fact]
    public async Task IsHealthy_HealthzAnswers_True()
    {
        var store = QdrantTestStore.Create(_server);

        Assert.True(await store.IsHealthyAsync());

        Assert.Equal("GET /healthz", $"{_server.Requests[0].Method} {_server.Requests[0].Path}");
    }

    [Fact]
    public async Task IsHealthy_ServerGone_False()
    {
        var store = QdrantTestStore.Create(_server);
        await _server.DisposeAsync();

        Assert.False(await store.IsHealthyAsync());
        _server = await RecordingQdrantServer.StartAsync();
    }

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {JsonNode.Parse(expected)!.ToJsonString()}\nactual   {actual?.ToJsonString()}");
}
