using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Web;

namespace AgentCrm.Knowledge.Tests.Qdrant;

/// <summary>
/// Qdrant's official JavaScript client (@qdrant/js-client-rest, pinned in qdrant-js/package.json) and our store
/// perform the same operations against the same recording listener; the requests must be equivalent: method,
/// path, query string, api-key and content type, and JSON bodies compared after normalisation (key order,
/// number spelling). Known, intended differences, not compared:
/// <list type="bullet">
/// <item>User-Agent (qdrant-js/x.y.z) and Accept headers differ by client.</item>
/// <item>Our EnsureReady first reads the collection (GET, 404 → create); the JS side does the same with getCollection.</item>
/// <item>Our IsHealthy calls GET /healthz, which the JS client has no method for; it is left out of the comparison.</item>
/// <item>The point payload layout is ours; it is written out literally below, so the test also pins it.</item>
/// </list>
/// </summary>
public sealed class QdrantDifferentialTests : IAsyncLifetime
{
    private const string Collection = QdrantTestStore.Collection;
    private RecordingQdrantServer _server = null!;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "agentcrm-qdrant-diff-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync() => _server = await RecordingQdrantServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task SameOperations_OfficialJsClientAndOurStore_SendEquivalentRequests()
    {
        var (exitCode, stdout, stderr) = await RunOfficialClientAsync(OfficialClientCalls());
        Assert.True(exitCode == 0, $"differential.js exit {exitCode}\n{stdout}\n{stderr}");
        var theirs = _server.Requests;
        _server.Reset();

        await QdrantScenario.RunAsync(QdrantTestStore.Create(_server));
        var ours = _server.Requests.Where(r => r.Path != "/healthz").ToList();

        Assert.Equal(theirs.Select(Line), ours.Select(Line));
        for (var i = 0; i < ours.Count; i++)
        {
            var label = $"request {i} ({Line(ours[i])})";
            Assert.True(ours[i].Header("api-key") == theirs[i].Header("api-key"), $"{label}: api-key {ours[i].Header("api-key")} vs {theirs[i].Header("api-key")}");
            if (ours[i].Body.Length > 0 || theirs[i].Body.Length > 0)
            {
                Assert.True(MediaType(ours[i]) == MediaType(theirs[i]), $"{label}: content-type {ours[i].Header("content-type")} vs {theirs[i].Header("content-type")}");
                Assert.True(Canonical(ours[i].Json) == Canonical(theirs[i].Json), $"{label}:\nours   {Canonical(ours[i].Json)}\ntheirs {Canonical(theirs[i].Json)}");
            }
        }
    }

    private static JsonArray OfficialClientCalls()
    {
        var documentFilter = """{"must":[{"key":"document_id","match":{"value":"gdpr"}}]}""";
        var calls = new JsonArray
        {
            Call("getCollection", expectError: true, "\"kb\""),
            Call("createCollection", false, "\"kb\"", """{"vectors":{"size":4,"distance":"Cosine"}}"""),
        };
        foreach (var field in new[] { "document_id", "tags", "scenario", "language", "kind" })
            calls.Add(Call("createPayloadIndex", false, "\"kb\"", $$"""{"wait":true,"field_name":"{{field}}","field_schema":"keyword"}"""));
        calls.Add(Call("upsert", false, "\"kb\"", """
            {"wait":true,"points":[
              {"id":"240e4e8a-4143-5a70-910b-379a6a9abaea","vector":[0.5,0.25,-0.125,0.0625],
               "payload":{"record_id":"gdpr#c0042","document_id":"gdpr","title":"GDPR","section":"CHAPTER III › Article 17 — Right to erasure",
                          "kind":"chunk","text":"The data subject shall have the right to obtain erasure.","tags":["privacy","eu"],
                          "scenario":null,"language":"en","source_chunk_id":null}},
              {"id":"18bbcc0e-dc27-58a7-9a35-d000b126e7d7","vector":[0.5,0.25,-0.125,0.0625],
               "payload":{"record_id":"gdpr#d0007","document_id":"gdpr","title":"GDPR","section":"CHAPTER III › Article 17 — Right to erasure",
                          "kind":"distilled","text":"The data subject shall have the right to obtain erasure.","tags":["privacy"],
                          "scenario":"renewal-risk","language":"en","source_chunk_id":"gdpr#c0042"}}]}
            """));
        calls.Add(Call("delete", false, "\"kb\"", """
            {"wait":true,"filter":{"must":[{"key":"document_id","match":{"value":"gdpr"}}],
                                   "must_not":[{"has_id":["240e4e8a-4143-5a70-910b-379a6a9abaea","18bbcc0e-dc27-58a7-9a35-d000b126e7d7"]}]}}
            """));
        calls.Add(Call("query", false, "\"kb\"", """
            {"query":[0.5,0.25,-0.125,0.0625],
             "filter":{"must":[{"key":"document_id","match":{"value":"gdpr"}},{"key":"scenario","match":{"value":"renewal-risk"}},
                               {"key":"language","match":{"value":"en"}},{"key":"kind","match":{"value":"chunk"}}],
                       "should":[{"key":"tags","match":{"value":"privacy"}},{"key":"tags","match":{"value":"eu"}}]},
             "limit":5,"score_threshold":0.25,"with_payload":true}
            """));
        calls.Add(Call("delete", false, "\"kb\"", $$"""{"wait":true,"filter":{{documentFilter}}}"""));
        return calls;
    }

    private static JsonObject Call(string method, bool expectError, params string[] args) => new()
    {
        ["method"] = method,
        ["expectError"] = expectError,
        ["args"] = new JsonArray([.. args.Select(a => JsonNode.Parse(a))]),
    };

    private async Task<(int, string, string)> RunOfficialClientAsync(JsonArray calls)
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "calls.json");
        await File.WriteAllTextAsync(path, calls.ToJsonString());
        return await NodeHarness.RunAsync("differential.js", _server.Url, QdrantTestStore.ApiKey, path);
    }

    private static string Line(RecordedRequest r)
    {
        var query = HttpUtility.ParseQueryString(r.Query);
        var pairs = query.AllKeys.OrderBy(k => k, StringComparer.Ordinal).Select(k => $"{k}={query[k]}");
        return $"{r.Method} {r.Path}?{string.Join("&", pairs)}";
    }

    private static string? MediaType(RecordedRequest r) => r.Header("content-type")?.Split(';')[0].Trim().ToLowerInvariant();

    /// <summary>Sorted keys, numbers as round-tripped doubles: 0.5 and 5e-1 are the same body.</summary>
    private static string Canonical(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => JsonSerializer.Serialize(p.Key) + ":" + Canonical(p.Value))) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Canonical)) + "]",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>().ToString("R", CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };
}
