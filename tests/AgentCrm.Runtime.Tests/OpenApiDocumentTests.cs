using System.Text.Json;

namespace AgentCrm.Runtime.Tests;

/// <summary>
/// <c>GET /openapi/v1.json</c> describes what the write endpoints read and how every <c>/v1</c> endpoint refuses:
/// the 415 answer sends callers to this document for the content types an endpoint takes.
/// </summary>
public sealed class OpenApiDocumentTests(OpenApiDocumentTests.Document document) : IClassFixture<OpenApiDocumentTests.Document>
{
    private const string ProblemJson = "application/problem+json";

    /// <summary>Actions that read no body at all (the handler takes none), so the document declares none.</summary>
    private static readonly HashSet<string> Bodiless = new(StringComparer.Ordinal)
    {
        "POST /v1/agents/{id}/versions/{version}/shadow",
        "POST /v1/agents/{id}/rollback",
        "POST /v1/briefs/{id}/acknowledge",
        "POST /v1/webhooks/{id}/enable",
    };

    /// <summary>Each write endpoint: the content types of its body and the 4xx answers its handler gives (besides 401, 403 and 429).</summary>
    public static readonly TheoryData<string, string[], int[]> Writes = new()
    {
        { "POST /v1/events", ["application/json", "application/x-ndjson", "application/ndjson", "application/jsonl"], [400, 413, 415] },
        { "POST /v1/dead-letters/replay", ["application/json"], [400, 413, 415] },
        { "POST /v1/agents", ["application/json", "application/yaml", "application/x-yaml", "text/yaml"], [400, 409, 413, 415] },
        { "POST /v1/agents/plugins", ["multipart/form-data"], [400, 409, 413] },
        { "POST /v1/agents/{id}/versions/{version}/promote", ["application/json"], [400, 404, 409, 413, 415] },
        { "POST /v1/agents/{id}/versions/{version}/evaluate", ["application/json", "multipart/form-data"], [400, 404, 409, 413, 415] },
        { "POST /v1/agents/fit", ["application/json"], [400, 409, 413, 415] },
        { "POST /v1/briefs/{id}/veto", ["application/json"], [400, 404, 409, 413, 415] },
        { "POST /v1/briefs/{id}/approve", ["application/json"], [400, 404, 409, 413, 415] },
        { "POST /v1/briefs/{id}/feedback", ["application/json"], [400, 404, 409, 413, 415] },
        { "PUT /v1/customers/{id}/consent", ["application/json"], [400, 413, 415] },
        { "PUT /v1/csms/{csmId}/accounts", ["application/json"], [400, 413, 415] },
        { "POST /v1/webhooks", ["application/json"], [400, 409, 413, 415] },
        { "POST /v1/audit/verify", ["application/json"], [400, 413, 415] },
        { "POST /v1/cases/{name}", ["multipart/form-data"], [400, 409, 413] },
        { "POST /v1/knowledge/documents", ["text/markdown", "text/html", "text/plain", "multipart/form-data"], [400, 413] },
    };

    [Fact]
    public void EveryV1Write_DeclaresItsRequestBody()
    {
        var writes = Operations().Where(o => o.Method is "POST" or "PUT").ToList();
        Assert.NotEmpty(writes);
        foreach (var (method, path, operation) in writes)
        {
            var name = $"{method} {path}";
            if (Bodiless.Contains(name))
            {
                Assert.False(operation.TryGetProperty("requestBody", out _), $"{name} reads no body but documents one");
                continue;
            }
            Assert.True(operation.TryGetProperty("requestBody", out var body), $"{name} has no requestBody");
            Assert.True(body.TryGetProperty("content", out var content) && content.EnumerateObject().Any(), $"{name} has a requestBody without a content type");
        }
        Assert.All(Bodiless, name => Assert.Contains(writes, w => $"{w.Method} {w.Path}" == name));
    }

    [Fact]
    public void EveryV1Operation_ListsAuthRateLimitAndProblemResponses()
    {
        var operations = Operations().ToList();
        Assert.True(operations.Count > 30, $"only {operations.Count} /v1 operations documented");
        foreach (var (method, path, operation) in operations)
        {
            var responses = operation.GetProperty("responses");
            foreach (var status in new[] { "401", "429" })
                Assert.True(HasProblem(responses, status), $"{method} {path} does not list {status} as {ProblemJson}");
            // Every role may ask who it is: no 403 (a credential with an unknown role is a 401).
            Assert.True(HasProblem(responses, "403") == (path != "/v1/me"), $"{method} {path}: 403 listed {HasProblem(responses, "403")}");
            // Every 4xx an operation lists is a ProblemDetails.
            foreach (var response in responses.EnumerateObject().Where(r => r.Name.StartsWith('4')))
                Assert.True(HasProblem(responses, response.Name), $"{method} {path}: {response.Name} is not {ProblemJson}");
        }
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public void Write_DocumentsItsContentTypesAndErrors(string endpoint, string[] contentTypes, int[] statuses)
    {
        var operation = Operation(endpoint);
        var content = operation.GetProperty("requestBody").GetProperty("content");
        foreach (var type in contentTypes)
            Assert.True(content.TryGetProperty(type, out var media) && media.TryGetProperty("schema", out _), $"{endpoint}: no {type} body with a schema");
        var responses = operation.GetProperty("responses");
        foreach (var status in statuses)
            Assert.True(HasProblem(responses, status.ToString(System.Globalization.CultureInfo.InvariantCulture)), $"{endpoint}: no {status} {ProblemJson}");
    }

    [Fact]
    public void JsonBodies_AreTheRecordsTheHandlersRead()
    {
        Assert.Equal("#/components/schemas/FitHttpRequest", BodySchema("POST /v1/agents/fit", "application/json").GetProperty("$ref").GetString());
        Assert.Equal("#/components/schemas/PromoteRequest", BodySchema("POST /v1/agents/{id}/versions/{version}/promote", "application/json").GetProperty("$ref").GetString());
        Assert.Equal("#/components/schemas/VetoRequest", BodySchema("POST /v1/briefs/{id}/veto", "application/json").GetProperty("$ref").GetString());
        Assert.Equal("#/components/schemas/ConsentRequest", BodySchema("PUT /v1/customers/{id}/consent", "application/json").GetProperty("$ref").GetString());
        Assert.True(Resolved(BodySchema("POST /v1/agents/{id}/versions/{version}/evaluate", "application/json")).GetProperty("properties").TryGetProperty("caseSet", out _));
        Assert.True(Resolved(BodySchema("POST /v1/dead-letters/replay", "application/json")).GetProperty("properties").TryGetProperty("seqs", out _));
        // Optional bodies: promote (canary 100), approve (no note) and replay (every dead letter) take none.
        foreach (var endpoint in new[] { "POST /v1/agents/{id}/versions/{version}/promote", "POST /v1/briefs/{id}/approve", "POST /v1/dead-letters/replay" })
            Assert.False(Operation(endpoint).GetProperty("requestBody").TryGetProperty("required", out var required) && required.GetBoolean(), $"{endpoint}: body documented as required");
        Assert.True(Operation("POST /v1/agents/fit").GetProperty("requestBody").GetProperty("required").GetBoolean());
    }

    [Fact]
    public void MultipartBodies_NameTheirParts()
    {
        AssertParts("POST /v1/agents/plugins", "assembly", "manifest");
        AssertParts("POST /v1/cases/{name}", "file", "events", "cases", "mapping", "labels");
        AssertParts("POST /v1/agents/{id}/versions/{version}/evaluate", "cases", "mapping", "labels");
        AssertParts("POST /v1/knowledge/documents", "file", "id", "title", "tags", "scenario");
        var assembly = Resolved(BodySchema("POST /v1/agents/plugins", "multipart/form-data")).GetProperty("properties").GetProperty("assembly");
        Assert.Equal("binary", assembly.GetProperty("format").GetString());
    }

    /// <summary>What the QA pass of api29 found missing: each is in the document now.</summary>
    [Fact]
    public void Document_DescribesWhatTheServerAnswersAndReads_BeyondItsHandlersMetadata()
    {
        Assert.Contains("metrics", Operation("GET /metrics").GetProperty("responses").GetProperty("403").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.True(Operation("GET /readyz").GetProperty("responses").TryGetProperty("503", out _));
        Assert.True(Operation("GET /v1/briefs").GetProperty("responses").GetProperty("503").GetProperty("headers").TryGetProperty("Retry-After", out _));
        Assert.Contains("roles that may: csm, ops, reviewer, admin", Operation("GET /v1/briefs").GetProperty("responses").GetProperty("403").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Contains("roles that may: ops, admin", Operation("POST /v1/agents/plugins").GetProperty("responses").GetProperty("403").GetProperty("description").GetString(), StringComparison.Ordinal);
        var search = Operation("GET /v1/knowledge/search").GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.True(search["q"].GetProperty("required").GetBoolean());
        var upload = Operation("POST /v1/knowledge/documents").GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Equal(["id", "scenario", "tags", "title"], upload.Order(StringComparer.Ordinal));
        Assert.Equal("#/components/schemas/Event", BodySchema("POST /v1/events", "application/x-ndjson").GetProperty("allOf")[0].GetProperty("$ref").GetString());
        Assert.Equal(12, Schema("Event").GetProperty("properties").GetProperty("type").GetProperty("enum").GetArrayLength());
        Assert.False(Schema("Event").GetProperty("additionalProperties").GetBoolean());
        Assert.False(Schema("VetoRequest").GetProperty("additionalProperties").GetBoolean());
        Assert.Equal("string", Schema("VetoRequest").GetProperty("properties").GetProperty("reason").GetProperty("type").GetString());
        Assert.Contains("id", Required(Schema("SandboxReport")));
        Assert.True(Schema("ProblemDetails").GetProperty("properties").TryGetProperty("traceId", out _));
        Assert.True(Schema("GateRefusalProblem").GetProperty("properties").TryGetProperty("unmet", out _));
    }

    [Theory]
    [InlineData("/v1/agents/{id}/versions/{version}/reports/latest")]
    [InlineData("/v1/reports/{reportId}")]
    public void Reports_DocumentJsonAndHtml(string path)
    {
        var operation = Operation($"GET {path}");
        var ok = operation.GetProperty("responses").GetProperty("200").GetProperty("content");
        Assert.Equal("#/components/schemas/SandboxReport", ok.GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        Assert.Equal("string", ok.GetProperty("text/html").GetProperty("schema").GetProperty("type").GetString());
        Assert.True(HasProblem(operation.GetProperty("responses"), "404"));
    }

    [Fact]
    public void OperationsEndpoints_AreNotGivenAuthResponses()
    {
        var health = document.Json.GetProperty("paths").GetProperty("/healthz").GetProperty("get");
        Assert.False(health.GetProperty("responses").TryGetProperty("401", out _));
        Assert.False(health.GetProperty("responses").TryGetProperty("429", out _));
        Assert.False(health.TryGetProperty("security", out _));
    }

    [Fact]
    public void Document_DeclaresApiKeyAndBearerSchemes_EveryV1OperationTakesEither()
    {
        var schemes = document.Json.GetProperty("components").GetProperty("securitySchemes");
        var key = schemes.GetProperty("ApiKey");
        Assert.Equal(("apiKey", "header", "X-Api-Key"), (key.GetProperty("type").GetString(), key.GetProperty("in").GetString(), key.GetProperty("name").GetString()));
        var bearer = schemes.GetProperty("Bearer");
        Assert.Equal(("http", "bearer", "JWT"), (bearer.GetProperty("type").GetString(), bearer.GetProperty("scheme").GetString(), bearer.GetProperty("bearerFormat").GetString()));
        foreach (var (method, path, operation) in Operations())
        {
            // Two alternatives, each one scheme: either credential is enough.
            Assert.True(operation.TryGetProperty("security", out var security), $"{method} {path} declares no security");
            Assert.Equal(["ApiKey", "Bearer"], security.EnumerateArray().Select(r => Assert.Single(r.EnumerateObject()).Name).Order(StringComparer.Ordinal));
        }
        Assert.Contains("ops", Operation("GET /v1/jobs").GetProperty("responses").GetProperty("403").GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryV1Operation_ListsTheMiddlewaresRefusals()
    {
        foreach (var (method, path, operation) in Operations())
        {
            var responses = operation.GetProperty("responses");
            foreach (var status in new[] { "400", "415" })
                Assert.True(HasProblem(responses, status), $"{method} {path} does not list {status}");
            Assert.True(responses.GetProperty("429").GetProperty("headers").TryGetProperty("Retry-After", out _), $"{method} {path}: 429 without Retry-After");
            foreach (var status in new[] { "201", "202" })
                if (responses.TryGetProperty(status, out var created) && $"{method} {path}" != "POST /v1/events")
                    Assert.True(created.TryGetProperty("headers", out var headers) && headers.TryGetProperty("Location", out _), $"{method} {path}: {status} without Location");
        }
        Assert.False(Operation("POST /v1/events").GetProperty("responses").GetProperty("202").TryGetProperty("headers", out _), "POST /v1/events answers 202 without Location");
    }

    /// <summary>Required is what the handler refuses without; everything else may be left out (the generator made every field required).</summary>
    [Theory]
    [InlineData("VetoRequest", "reason")]
    [InlineData("ApproveRequest")]
    [InlineData("FeedbackRequest", "useful")]
    [InlineData("GrantRequest", "purpose", "categories")]
    [InlineData("WebhookRequest", "url")]
    [InlineData("WebhookSecretRequest")]
    [InlineData("PromoteRequest")]
    [InlineData("FitHttpRequest", "kind", "caseSet")]
    [InlineData("AuditVerifyRequest")]
    [InlineData("ConsentRequest", "grants")]
    [InlineData("AccountsRequest", "accounts")]
    // The manifest reader refuses one without any of these (a client built from this document sent id, version, kind; qa43c #3).
    [InlineData("AgentManifest", "id", "version", "kind", "scenario", "subscribes", "purpose")]
    public void RequestSchemas_RequireWhatTheHandlerRefusesWithout(string schema, params string[] required) =>
        Assert.Equal(required.Order(StringComparer.Ordinal), Required(Schema(schema)));

    /// <summary>A CSM's accounts are at most 10,000 (400 beyond): the request schema says so (qa35b: it did not).</summary>
    [Fact]
    public void AccountsRequest_AllowsAtMostTheAccountsTheHandlerTakes() =>
        Assert.Equal(global::AgentCrm.Access.CsmsApi.MaxAccounts, Schema("AccountsRequest").GetProperty("properties").GetProperty("accounts").GetProperty("maxItems").GetInt32());

    [Fact]
    public void ResponseSchemas_DoNotRequireWhatIsLeftOut_AndListTheValuesOfStates()
    {
        Assert.DoesNotContain("manifest", Required(Schema("AgentVersionDto")));
        Assert.DoesNotContain("stage", Required(Schema("JobStatus")));
        Assert.Contains("active", Values(Schema("AgentVersionDto"), "state"));
        Assert.Contains("active", Values(Schema("VersionHealth"), "state"));
        Assert.Equal(["cancelled", "failed", "interrupted", "running", "succeeded"], Values(Schema("JobStatus"), "state").Order(StringComparer.Ordinal));
        Assert.Contains("cross-validating", Values(Schema("JobStatus"), "stage"));
        Assert.Equal(["evaluate", "fit"], Values(Schema("JobStatus"), "kind"));
        Assert.Equal(["approved", "vetoed"], Values(Schema("BriefReview"), "verdict").Order(StringComparer.Ordinal));
        var jobs = Operation("GET /v1/jobs").GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Contains("succeeded", jobs["state"].GetProperty("schema").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("fit", jobs["kind"].GetProperty("schema").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        var briefs = Operation("GET /v1/briefs").GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Equal(["delivered", "pendingReview", "retracted", "shadow", "vetoed"],
            briefs["status"].GetProperty("schema").GetProperty("enum").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(["false", "true"], briefs["acknowledged"].GetProperty("schema").GetProperty("enum").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        // A secret rotation may send no body (as promote, approve, replay and verify may).
        Assert.False(Operation("POST /v1/webhooks/{id}/secret").GetProperty("requestBody").TryGetProperty("required", out var required) && required.GetBoolean());
    }

    /// <summary>Answers write numbers as numbers and request bodies refuse "50" for 50: no number is documented as a string too.</summary>
    [Fact]
    public void Numbers_AreDocumentedAsNumbersOnly()
    {
        var canary = Schema("PromoteRequest").GetProperty("properties").GetProperty("canaryPercent").GetProperty("type");
        Assert.Equal(["integer", "null"], canary.EnumerateArray().Select(t => t.GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal("number", Schema("AgentManifest").GetProperty("properties").GetProperty("threshold").GetProperty("type").GetString());
        Assert.Empty(NumbersAsStrings(document.Json, "#"));
    }

    /// <summary>The JSON pointers of the schemas whose type is a number or a string.</summary>
    private static IEnumerable<string> NumbersAsStrings(JsonElement node, string at) => node.ValueKind switch
    {
        JsonValueKind.Object => node.EnumerateObject().SelectMany(p =>
            p is { Name: "type", Value.ValueKind: JsonValueKind.Array }
            && p.Value.EnumerateArray().Select(t => t.GetString()).ToList() is var types && types.Contains("string") && (types.Contains("integer") || types.Contains("number"))
                ? [at]
                : NumbersAsStrings(p.Value, $"{at}/{p.Name}")),
        JsonValueKind.Array => node.EnumerateArray().SelectMany((e, i) => NumbersAsStrings(e, $"{at}/{i}")),
        _ => [],
    };

    [Fact]
    public void BriefStream_IsTextNamingItsEvents_NotTheDotNetItemType()
    {
        var media = Operation("GET /v1/briefs/stream").GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("text/event-stream");
        Assert.Equal("string", media.GetProperty("schema").GetProperty("type").GetString());
        var events = media.GetProperty("x-events");
        Assert.Equal("#/components/schemas/Brief", events.GetProperty("brief").GetProperty("$ref").GetString());
        Assert.Equal("#/components/schemas/BriefOverflow", events.GetProperty("overflow").GetProperty("$ref").GetString());
        Assert.Equal("#/components/schemas/StreamHeartbeat", events.GetProperty("heartbeat").GetProperty("$ref").GetString());
        Assert.Equal("#/components/schemas/StreamResync", events.GetProperty("resync").GetProperty("$ref").GetString());
        Assert.False(document.Json.GetProperty("components").GetProperty("schemas").TryGetProperty("SseItemOfObject", out _));
    }

    private JsonElement Schema(string name) => document.Json.GetProperty("components").GetProperty("schemas").GetProperty(name);

    private static List<string> Required(JsonElement schema) =>
        schema.TryGetProperty("required", out var required) ? [.. required.EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal)] : [];

    private static List<string?> Values(JsonElement schema, string property) =>
        [.. schema.GetProperty("properties").GetProperty(property).GetProperty("enum").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? null : e.GetString())];

    private void AssertParts(string endpoint, params string[] parts)
    {
        var properties = Resolved(BodySchema(endpoint, "multipart/form-data")).GetProperty("properties");
        foreach (var part in parts)
            Assert.True(properties.TryGetProperty(part, out _), $"{endpoint}: multipart part '{part}' not documented");
    }

    /// <summary>The component <paramref name="schema"/> refers to, or itself (a body described by its type is a component).</summary>
    private JsonElement Resolved(JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference) ? Schema(reference.GetString()!["#/components/schemas/".Length..]) : schema;

    private JsonElement BodySchema(string endpoint, string contentType) =>
        Operation(endpoint).GetProperty("requestBody").GetProperty("content").GetProperty(contentType).GetProperty("schema");

    private JsonElement Operation(string endpoint)
    {
        var (method, path) = (endpoint[..endpoint.IndexOf(' ')], endpoint[(endpoint.IndexOf(' ') + 1)..]);
        Assert.True(document.Json.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is not documented");
        Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out var operation), $"{endpoint} is not documented");
        return operation;
    }

    private IEnumerable<(string Method, string Path, JsonElement Operation)> Operations() =>
        from path in document.Json.GetProperty("paths").EnumerateObject()
        where path.Name.StartsWith("/v1/", StringComparison.Ordinal)
        from operation in path.Value.EnumerateObject()
        where operation.Name is "get" or "post" or "put" or "delete" or "patch"
        select (operation.Name.ToUpperInvariant(), path.Name, operation.Value);

    private static bool HasProblem(JsonElement responses, string status) =>
        responses.TryGetProperty(status, out var response)
        && response.TryGetProperty("content", out var content)
        && content.TryGetProperty(ProblemJson, out var media)
        && media.TryGetProperty("schema", out _);

    /// <summary>The document, fetched once over HTTP from a real server.</summary>
    public sealed class Document : IAsyncLifetime
    {
        public JsonElement Json { get; private set; }

        public async Task InitializeAsync()
        {
            await using var app = await AgentCrmApp.StartAsync();
            Json = await app.GetJsonAsync("/openapi/v1.json");
        }

        public Task DisposeAsync() => Task.CompletedTask;
    }
}
