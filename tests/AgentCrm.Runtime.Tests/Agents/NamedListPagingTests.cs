using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Server;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>GET /v1/agents, /v1/cases and /v1/knowledge/documents page with <c>limit</c> and <c>cursor</c> like the other lists (API.md).</summary>
public sealed class NamedListPagingTests(NamedListPagingTests.Server server) : IClassFixture<NamedListPagingTests.Server>
{
    public static TheoryData<string, string> Lists() => new()
    {
        { "/v1/agents", "id" },
        { "/v1/cases", "name" },
        { "/v1/knowledge/documents", "id" },
    };

    private static string? Next(JsonElement page) =>
        page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;

    private static List<string> Names(JsonElement page, string key) =>
        [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty(key).GetString()!)];

    private async Task<(List<string> Names, int Pages)> WalkAsync(string path, int limit, string key)
    {
        var names = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var page = await server.App.GetJsonAsync($"{path}?limit={limit}{(cursor is null ? "" : "&cursor=" + cursor)}");
            var items = Names(page, key);
            Assert.InRange(items.Count, 1, limit);
            names.AddRange(items);
            cursor = Next(page);
            pages++;
            Assert.True(pages < 100, $"{path} kept answering a next cursor");
        }
        while (cursor is not null);
        return (names, pages);
    }

    [Theory]
    [MemberData(nameof(Lists))]
    public async Task List_NoPagingParameters_EverythingInOnePage_NextCursorNull(string path, string key)
    {
        var page = await server.App.GetJsonAsync(path);

        Assert.Equal(JsonValueKind.Null, page.GetProperty("nextCursor").ValueKind);
        var names = Names(page, key);
        Assert.True(names.Count >= 3, $"{path}: {page}");
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Theory]
    [MemberData(nameof(Lists))]
    public async Task List_LimitOne_WalksEveryItemOnce_InNameOrder(string path, string key)
    {
        var all = Names(await server.App.GetJsonAsync($"{path}?limit=500"), key);

        var (walked, pages) = await WalkAsync(path, 1, key);

        Assert.Equal(all, walked);
        Assert.Equal(all.Count, pages);
        Assert.Equal(all, (await WalkAsync(path, 2, key)).Names);
    }

    [Theory]
    [InlineData("/v1/agents", "limit=0", "limit")]
    [InlineData("/v1/agents", "limit=501", "limit")]
    [InlineData("/v1/agents", "limit=abc", "limit")]
    [InlineData("/v1/agents", "limit=2.5", "limit")]
    [InlineData("/v1/agents", "limit=%2B5", "limit")]
    [InlineData("/v1/agents", "limit=05", "limit")]
    [InlineData("/v1/agents", "cursor=zzz", "cursor")]
    [InlineData("/v1/agents", "cursor=", "cursor")]
    [InlineData("/v1/cases", "limit=0", "limit")]
    [InlineData("/v1/cases", "limit=501", "limit")]
    [InlineData("/v1/cases", "limit=abc", "limit")]
    [InlineData("/v1/cases", "cursor=zzz", "cursor")]
    [InlineData("/v1/knowledge/documents", "limit=0", "limit")]
    [InlineData("/v1/knowledge/documents", "limit=501", "limit")]
    [InlineData("/v1/knowledge/documents", "limit=abc", "limit")]
    [InlineData("/v1/knowledge/documents", "cursor=zzz", "cursor")]
    public async Task List_BadPagingParameter_400NamingIt(string path, string query, string field)
    {
        using var response = await server.App.Client.GetAsync($"{path}?{query}");

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
    }

    [Theory]
    [MemberData(nameof(Lists))]
    public async Task List_AnotherListsCursor_400NamingCursor(string path, string key)
    {
        _ = key;
        var own = path switch { "/v1/agents" => NamedPage.Agents, "/v1/cases" => NamedPage.CaseSets, _ => NamedPage.Documents };
        var others = new[] { NamedPage.Agents, NamedPage.CaseSets, NamedPage.Documents }.Where(p => p != own)
            .Select(p => Paging.EncodeCursor(p, "a")).Append(Paging.SeqCursor(Paging.Briefs, 3));
        foreach (var cursor in others)
        {
            using var response = await server.App.Client.GetAsync($"{path}?cursor={cursor}");
            var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("cursor", out _), problem.GetRawText());
        }
        using var accepted = await server.App.Client.GetAsync($"{path}?cursor={Paging.EncodeCursor(own, "a")}");
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Lists))]
    public async Task List_OpenApi_DocumentsLimitAsAnIntegerAndCursor(string path, string key)
    {
        _ = key;
        var openApi = await server.App.GetJsonAsync("/openapi/v1.json");

        var parameters = openApi.GetProperty("paths").GetProperty(path).GetProperty("get").GetProperty("parameters").EnumerateArray().ToList();
        var limit = parameters.Single(p => p.GetProperty("name").GetString() == "limit").GetProperty("schema");
        Assert.Equal("integer", limit.GetProperty("type").GetString());
        Assert.Equal(500, limit.GetProperty("maximum").GetInt32());
        Assert.Contains(parameters, p => p.GetProperty("name").GetString() == "cursor");
    }

    [Fact]
    public async Task Documents_TheLastItemOfAPageRemoved_TheNextPageStillStartsAfterIt()
    {
        var ids = new[] { "zz-paging-1", "zz-paging-2", "zz-paging-3" };
        foreach (var id in ids)
        {
            using var added = await server.App.Client.PostAsync($"/v1/knowledge/documents?id={id}&title={id}",
                new StringContent($"# {id}\n\nRenewal notes for {id}.", Encoding.UTF8, "text/markdown"));
            Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync());
        }
        var all = Names(await server.App.GetJsonAsync("/v1/knowledge/documents?limit=500"), "id");
        var at = all.IndexOf(ids[0]);
        var first = await server.App.GetJsonAsync($"/v1/knowledge/documents?limit={at + 1}");
        Assert.Equal(ids[0], Names(first, "id")[^1]);

        using (var removed = await server.App.Client.DeleteAsync($"/v1/knowledge/documents/{ids[0]}"))
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        var next = await server.App.GetJsonAsync($"/v1/knowledge/documents?limit=1&cursor={Next(first)}");

        Assert.Equal([ids[1]], Names(next, "id"));
    }

    public sealed class Server : IAsyncLifetime
    {
        public AgentCrmApp App { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            App = await AgentCrmApp.StartAsync();
            foreach (var id in new[] { "paging-c", "paging-a", "paging-b" })
            {
                using var registered = await App.Client.PostAsync("/v1/agents", new StringContent($$"""
                    {"id":"{{id}}","version":"1.0.0","kind":"renewal-risk","scenario":"renewal-risk","subscribes":["nps"],
                     "reads":["nps.latest"],"purpose":"customer-success","threshold":0.9}
                    """, Encoding.UTF8, "application/json"));
                Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
            }
            foreach (var id in new[] { "doc-c", "doc-a", "doc-b" })
            {
                using var added = await App.Client.PostAsync($"/v1/knowledge/documents?id={id}&title={id}",
                    new StringContent($"# {id}\n\nCall the customer before the contract ends ({id}).", Encoding.UTF8, "text/markdown"));
                Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync());
            }
        }

        public async Task DisposeAsync() => await App.DisposeAsync();
    }
}
