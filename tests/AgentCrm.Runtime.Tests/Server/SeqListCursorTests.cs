using System.Net;
using System.Text.Json;
using AgentCrm.Server;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>The lists paged by sequence number (briefs, reviews, audit, dead letters) take only their own cursors.</summary>
public sealed class SeqListCursorTests
{
    private static readonly (string Path, string List)[] Lists =
        [("/v1/briefs", Paging.Briefs), ("/v1/reviews", Paging.Reviews), ("/v1/audit", Paging.Audit), ("/v1/dead-letters", Paging.DeadLetters)];

    [Fact]
    public async Task EachList_RefusesAnotherListsCursor_NamingCursor_AndTakesItsOwn()
    {
        await using var app = await AgentCrmApp.StartAsync();
        foreach (var (path, list) in Lists)
        {
            using (var own = await app.Client.GetAsync($"{path}?cursor={Paging.SeqCursor(list, 1)}"))
                Assert.True(own.StatusCode == HttpStatusCode.OK, $"{path} with its own cursor: {(int)own.StatusCode} {await own.Content.ReadAsStringAsync()}");
            foreach (var (_, other) in Lists.Where(l => l.List != list))
            {
                using var response = await app.Client.GetAsync($"{path}?cursor={Paging.SeqCursor(other, 1)}");
                var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
                Assert.True(problem.GetProperty("errors").TryGetProperty("cursor", out _), $"{path} with a {other} cursor: {problem.GetRawText()}");
            }
        }
    }

    [Fact]
    public async Task Audit_NextCursor_ContinuesWhereThePageEnded()
    {
        await using var app = await AgentCrmApp.StartAsync();
        for (var i = 0; i < 3; i++)
            await app.CreateKeyAsync("csm", $"csm-{i}");
        var seen = new List<long>();
        string? cursor = null;
        do
        {
            using var response = await app.Client.GetAsync($"/v1/audit?limit=1{(cursor is null ? "" : "&cursor=" + cursor)}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            seen.AddRange(page.RootElement.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("seq").GetInt64()));
            cursor = page.RootElement.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.True(seen.Count >= 3, $"expected at least the 3 key records, got {seen.Count}");
        Assert.Equal(seen.OrderDescending(), seen);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }
}
