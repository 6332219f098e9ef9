using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Knowledge.Stores;
using AgentCrm.Knowledge.Stores.Qdrant;

namespace AgentCrm.Knowledge.Tests.Qdrant;

/// <summary>
/// Every request body the store sends, and every JSON answer the fake gives it, validated against Qdrant's own
/// OpenAPI document (qdrant-openapi.json, §15 of the sheet) by qdrant-js/validate.js (ajv). Requests are checked
/// strictly: unknown properties fail, because Qdrant silently ignores most of them.
/// </summary>
public sealed class QdrantSchemaValidationTests : IAsyncLifetime
{
    private RecordingQdrantServer _server = null!;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "agentcrm-qdrant-schema-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync() => _server = await RecordingQdrantServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task EveryRequestBody_ValidatesAgainstQdrantOpenApiSchemas()
    {
        await QdrantScenario.RunAsync(QdrantTestStore.Create(_server));
        var withBodies = _server.Requests.Where(r => r.Body.Length > 0).ToList();

        var results = await ValidateAsync(withBodies.Select((r, i) => Item($"request {i}: {r.Method} {r.Path}", r, "request", null, r.Json)));

        Assert.Equal(
            ["CreateCollection", "CreateFieldIndex", "CreateFieldIndex", "CreateFieldIndex", "CreateFieldIndex", "CreateFieldIndex",
             "PointInsertOperations", "PointsSelector", "QueryRequest", "PointsSelector"],
            results.Select(r => (string?)r["schema"]));
    }

    [Fact]
    public async Task EveryCannedJsonAnswer_ValidatesAgainstQdrantOpenApiSchemas()
    {
        _server.Script("GET", "/collections/kb", QdrantExamples.NotFound("kb"), new CannedResponse(200, QdrantExamples.CollectionInfo(4, [])));
        _server.Script("PUT", "/collections/kb", QdrantExamples.AlreadyExists("kb"));
        _server.Script("PUT", "/collections/kb/points", new CannedResponse(200, QdrantExamples.UpdateResult("wait_timeout")));
        var store = QdrantTestStore.Create(_server);
        await store.EnsureReadyAsync(4);
        await Assert.ThrowsAsync<QdrantException>(() => store.ReplaceDocumentAsync("gdpr", QdrantScenario.Records));
        await store.SearchAsync(QdrantScenario.Query, 5, QdrantScenario.Filter, QdrantScenario.ScoreThreshold);
        _server.CollectionExists = true;
        await store.EnsureReadyAsync(4);
        var answers = _server.Exchanges.Where(e => e.Response.ContentType.StartsWith("application/json", StringComparison.Ordinal)).ToList();

        var results = await ValidateAsync(answers.Select((e, i) =>
            Item($"answer {i}: {e.Request.Method} {e.Request.Path} -> {e.Response.Status}", e.Request, "response", e.Response.Status, JsonNode.Parse(e.Response.Body))));

        Assert.Contains(results, r => (string?)r["schema"] == "ErrorResponse");
        Assert.Contains(results, r => (string?)r["operation"] == "GET /collections/{collection_name}" && r["name"]!.ToString().EndsWith("-> 200", StringComparison.Ordinal));
        Assert.Contains(results, r => (string?)r["operation"] == "POST /collections/{collection_name}/points/query");
    }

    [Fact]
    public async Task SetDocumentPayload_ValidatesAgainstQdrantOpenApiSchemas()
    {
        var store = QdrantTestStore.Create(_server);
        await store.EnsureReadyAsync(4);
        await store.UpdateDocumentMetadataAsync("gdpr", new DocumentMetadata("GDPR", ["privacy", "eu"], null, "en"));
        var request = _server.Requests.Last();

        var results = await ValidateAsync([Item("set payload", request, "request", null, request.Json)]);

        Assert.Equal("POST /collections/kb/points/payload", $"{request.Method} {request.Path}");
        Assert.Equal(["SetPayload"], results.Select(r => (string?)r["schema"]));
    }

    [Fact]
    public async Task CountDocumentPoints_RequestAndAnswer_ValidateAgainstQdrantOpenApiSchemas()
    {
        _server.Script("POST", "/collections/kb/points/count", new CannedResponse(200, QdrantExamples.CountResponse(2)));
        var store = QdrantTestStore.Create(_server);

        Assert.Equal(2, await store.CountDocumentRecordsAsync("gdpr"));
        var exchange = _server.Exchanges.Single();

        var results = await ValidateAsync([
            Item("count", exchange.Request, "request", null, exchange.Request.Json),
            Item("count answer", exchange.Request, "response", 200, JsonNode.Parse(exchange.Response.Body)),
        ]);

        Assert.Equal("POST /collections/kb/points/count", $"{exchange.Request.Method} {exchange.Request.Path}");
        Assert.Equal("""{"filter":{"must":[{"key":"document_id","match":{"value":"gdpr"}}]},"exact":true}""", exchange.Request.Body);
        Assert.Equal("CountRequest", (string?)results[0]["schema"]);
        Assert.Equal("POST /collections/{collection_name}/points/count", (string?)results[1]["operation"]);
    }

    [Fact]
    public async Task Validator_MisspeltField_Fails()
    {
        var bad = new RecordedRequest("POST", "/collections/kb/points/query", "", new Dictionary<string, string>(), """{"query":[0.5],"limt":3}""");

        var (exitCode, stdout, _) = await RunValidatorAsync([Item("misspelt", bad, "request", null, bad.Json)]);

        Assert.Equal(1, exitCode);
        Assert.Contains("limt", stdout);
    }

    private static JsonObject Item(string name, RecordedRequest request, string direction, int? status, JsonNode? body) => new()
    {
        ["name"] = name,
        ["method"] = request.Method,
        ["path"] = request.Path,
        ["direction"] = direction,
        ["status"] = status,
        ["body"] = body,
    };

    private async Task<List<JsonObject>> ValidateAsync(IEnumerable<JsonObject> items)
    {
        var list = items.ToList();
        Assert.NotEmpty(list);
        var (exitCode, stdout, stderr) = await RunValidatorAsync(list);
        Assert.True(exitCode == 0, $"validate.js exit {exitCode}\n{stdout}\n{stderr}");
        return [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())];
    }

    private async Task<(int, string, string)> RunValidatorAsync(IReadOnlyList<JsonObject> items)
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "items.json");
        await File.WriteAllTextAsync(path, new JsonArray([.. items.Select(i => i.DeepClone())]).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return await NodeHarness.RunAsync("validate.js", NodeHarness.OpenApiPath, path);
    }
}
