using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentCrm.Knowledge.Tests.Qdrant;

/// <summary>
/// The fake must behave like Qdrant before the contract suite can trust it: Qdrant's own assertions over its
/// <c>basic_collection_setup</c> dataset (sheet §13.3: github qdrant/qdrant tests/openapi/helpers/collection_setup.py,
/// test_basic_retrieve_api.py, test_filter.py, test_score_threshold.py, test_delete_points.py) and the error
/// contracts of §§2, 5 and 7, over real HTTP.
/// </summary>
public sealed class FakeQdrantServerTests : IAsyncLifetime
{
    private const string Points = """
        {"points":[
          {"id":1,"vector":[0.05,0.61,0.76,0.74],"payload":{"city":"Berlin","price":10.0}},
          {"id":2,"vector":[0.19,0.81,0.75,0.11],"payload":{"city":["Berlin","London"],"price":11.0}},
          {"id":3,"vector":[0.36,0.55,0.47,0.94],"payload":{"city":["Berlin","Moscow"],"price":9.5}},
          {"id":4,"vector":[0.18,0.01,0.85,0.80],"payload":{"city":["London","Moscow"],"price":9}},
          {"id":5,"vector":[0.24,0.18,0.22,0.44],"payload":{"count":0}},
          {"id":6,"vector":[0.35,0.08,0.11,0.44]},
          {"id":7,"vector":[0.25,0.98,0.14,0.43],"payload":{"city":null,"price":null}},
          {"id":8,"vector":[0.79,0.53,0.72,0.15],"payload":{"city":[],"price":[]}},
          {"id":9,"vector":{"sparse-text":{"indices":[66,12],"values":[0.5,0.5]}}},
          {"id":10,"vector":{"sparse-text":{"indices":[1,2,3],"values":[0.1,0.2,0.3]}},"payload":{"city":[],"price":[]}}
        ]}
        """;

    private static readonly float[] Query = [0.2f, 0.1f, 0.9f, 0.7f];

    private FakeQdrantServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeQdrantServer.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_server.Url) };
        await SendOkAsync(HttpMethod.Put, "/collections/test_collection", """{"vectors":{"size":4,"distance":"Dot","on_disk":false},"sparse_vectors":{"sparse-text":{}},"on_disk_payload":true}""");
        var upsert = await SendOkAsync(HttpMethod.Put, "/collections/test_collection/points?wait=true", Points);
        Assert.Equal("completed", upsert["result"]!["status"]!.GetValue<string>());
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Query_Limit3_ThreeBestByDotProduct()
    {
        var points = await QueryAsync("""{"query":[0.2,0.1,0.9,0.7],"limit":3}""");

        // Dot scores by hand: id4 1.362, id1 1.273, id3 1.208.
        Assert.Equal([4, 1, 3], points.Select(Id));
        Assert.Equal(Dot(Query, [0.18f, 0.01f, 0.85f, 0.80f]), points[0]!["score"]!.GetValue<double>(), 5);
        Assert.Null(points[0]!["payload"]);
    }

    [Fact]
    public async Task Query_ShouldCityLondon_TwoPoints_ArraysMatchOnAnyElement()
    {
        var points = await QueryAsync("""{"query":[0.2,0.1,0.9,0.7],"limit":3,"filter":{"should":[{"key":"city","match":{"value":"London"}}]}}""");

        Assert.Equal([2, 4], points.Select(Id).Order());
    }

    [Fact]
    public async Task Query_IsEmptyCity_Ids5To8_SparseOnlyPointsSkipped()
    {
        var points = await QueryAsync("""{"query":[0.2,0.1,0.9,0.7],"limit":5,"filter":{"should":[{"is_empty":{"key":"city"}}]}}""");

        Assert.Equal([5, 6, 7, 8], points.Select(Id).Order());
    }

    [Fact]
    public async Task Query_MatchAnyLondonMoscow_Ids2To4()
    {
        var points = await QueryAsync("""{"query":[0.2,0.1,0.9,0.7],"limit":3,"filter":{"must":[{"key":"city","match":{"any":["London","Moscow"]}}]}}""");

        Assert.Equal([2, 3, 4], points.Select(Id).Order());
    }

    [Fact]
    public async Task Query_ScoreThresholdAroundSecondScore_OneOrTwoResults()
    {
        var second = (await QueryAsync("""{"query":[0.2,0.1,0.9,0.7],"limit":3}"""))[1]!["score"]!.GetValue<double>();

        var above = await QueryAsync($$"""{"query":[0.2,0.1,0.9,0.7],"limit":3,"score_threshold":{{second + 0.0001}}}""");
        var below = await QueryAsync($$"""{"query":[0.2,0.1,0.9,0.7],"limit":3,"score_threshold":{{second - 0.0001}}}""");

        Assert.Single(above);
        Assert.Equal(2, below.Count);
    }

    [Fact]
    public async Task Cosine_VectorsNormalisedOnTheWayIn_ScoreIsCosine()
    {
        await SendOkAsync(HttpMethod.Put, "/collections/cos", """{"vectors":{"size":4,"distance":"Cosine"}}""");
        await SendOkAsync(HttpMethod.Put, "/collections/cos/points?wait=true", """{"points":[{"id":"5c56c793-69f3-4fbf-87e6-c4bf54c28c26","vector":[3,4,0,0],"payload":{"k":"v"}}]}""");

        var point = Assert.Single((JsonArray)(await SendOkAsync(HttpMethod.Post, "/collections/cos/points/query", """{"query":[0,2,0,0],"with_vector":true,"with_payload":["k"]}"""))["result"]!["points"]!)!;

        Assert.Equal(0.8, point["score"]!.GetValue<double>(), 5);
        Assert.Equal([0.6, 0.8, 0, 0], point["vector"]!.AsArray().Select(v => Math.Round(v!.GetValue<double>(), 5)));
        Assert.Equal("5c56c793-69f3-4fbf-87e6-c4bf54c28c26", point["id"]!.GetValue<string>());
        Assert.Equal("v", point["payload"]!["k"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delete_ByHasIdFilterThenByIds_NineThenFiveLeft()
    {
        await SendOkAsync(HttpMethod.Post, "/collections/test_collection/points/delete?wait=true", """{"filter":{"must":[{"has_id":[5]}]}}""");
        Assert.Equal(9, _server.PointCount("test_collection"));

        await SendOkAsync(HttpMethod.Post, "/collections/test_collection/points/delete?wait=true", """{"points":[1,2,3,4]}""");
        Assert.Equal(5, _server.PointCount("test_collection"));
    }

    [Fact]
    public async Task Upsert_WrongDimension_400NamingDimension_WithAndWithoutWait()
    {
        foreach (var wait in new[] { "true", "false" })
        {
            var (status, body) = await SendAsync(HttpMethod.Put, $"/collections/test_collection/points?wait={wait}", """{"points":[{"id":1,"vector":[0.1,0.2,0.3]}]}""");

            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("dimension", body["status"]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Upsert_WithoutWait_Acknowledged()
    {
        var reply = await SendOkAsync(HttpMethod.Put, "/collections/test_collection/points", """{"points":[{"id":11,"vector":[1,0,0,0]}]}""");

        Assert.Equal("acknowledged", reply["result"]!["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(HttpMethod2.Put, "/collections/test_collection", """{"vectors":{"size":4,"distance":"Dot"}}""", 409)]
    [InlineData(HttpMethod2.Put, "/collections/other", """{"vectors":{"size":4,"distance":"cosine"}}""", 400)]
    [InlineData(HttpMethod2.Get, "/collections/missing", "", 404)]
    [InlineData(HttpMethod2.Post, "/collections/missing/points/query", """{"query":[1,0,0,0]}""", 404)]
    [InlineData(HttpMethod2.Post, "/collections/test_collection/points/query", """{"query":[1,0,0,0],"filter":{"must_nt":[]}}""", 400)]
    [InlineData(HttpMethod2.Post, "/collections/test_collection/points/query", """{"query":[1,0,0,0],"limit":0}""", 422)]
    [InlineData(HttpMethod2.Put, "/collections/test_collection/points?wait=true", """{"points":[{"id":"not-a-uuid","vector":[1,0,0,0]}]}""", 400)]
    public async Task Errors_StatusAndJsonEnvelope(HttpMethod2 method, string path, string body, int expected)
    {
        var (status, reply) = await SendAsync(new HttpMethod(method.ToString().ToUpperInvariant()), path, body);

        Assert.Equal(expected, (int)status);
        Assert.False(string.IsNullOrEmpty(reply["status"]!["error"]!.GetValue<string>()));
        Assert.Null(reply["result"]);
    }

    [Fact]
    public async Task ApiKeyConfigured_MissingKey401PlainText_HealthzOpen()
    {
        await using var secured = await FakeQdrantServer.StartAsync("secret");
        using var http = new HttpClient { BaseAddress = new Uri(secured.Url) };

        var denied = await http.GetAsync("/collections/x");
        var health = await http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.StartsWith("text/plain", denied.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    public enum HttpMethod2
    {
        Get,
        Put,
        Post,
    }

    private static int Id(JsonNode? point) => point!["id"]!.GetValue<int>();

    private static double Dot(float[] a, float[] b) => a.Zip(b).Sum(p => (double)p.First * p.Second);

    private async Task<JsonArray> QueryAsync(string body) =>
        (JsonArray)(await SendOkAsync(HttpMethod.Post, "/collections/test_collection/points/query", body))["result"]!["points"]!;

    private async Task<JsonNode> SendOkAsync(HttpMethod method, string path, string body)
    {
        var (status, reply) = await SendAsync(method, path, body);
        Assert.True(status == HttpStatusCode.OK, $"{method} {path}: {(int)status} {reply.ToJsonString()}");
        Assert.Equal("ok", reply["status"]!.GetValue<string>());
        return reply;
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpMethod method, string path, string body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body.Length > 0)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }
}
