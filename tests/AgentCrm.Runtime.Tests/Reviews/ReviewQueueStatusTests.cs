using System.Net;
using System.Text.Json;
using AgentCrm.Briefs;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Reviews;

/// <summary>
/// The review queue is oldest first, and held briefs (pendingReview, which wait on a reviewer) sat behind pages of
/// delivered ones still in their veto window: four behind 195 in a QA pass, and <c>?status=pendingReview</c> was a 400.
/// <c>status</c> narrows the queue to either part, keyset-paged as the whole queue is.
/// </summary>
public sealed class ReviewQueueStatusTests
{
    [Fact]
    public async Task ReviewQueue_FilteredByStatus_ListsOnlyThatPart_InOrder_PagedByCursor()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var reviewer = await app.ClientAsync("reviewer", "rita");
        var templateId = await app.AtRiskBriefAsync("template", "delivered");
        var template = app.Services.GetRequiredService<BriefStore>().Get(templateId)!;
        Assert.True(template.ReviewUntil > DateTimeOffset.UtcNow, "the built-in's briefs are delivered inside a veto window");
        var delivered = await AddAsync(app, template, "delivered", 195, BriefStatus.Delivered);
        var held = await AddAsync(app, template, "held", 4, BriefStatus.PendingReview);
        var whole = await QueueAsync(reviewer, "", 500);
        Assert.Equal(held, whole.Where(b => b.Status == "pendingReview").Select(b => b.Id));
        Assert.Equal(whole.Count - held.Count, whole.Count(b => b.Status == "delivered"));
        Assert.Subset(whole.Select(b => b.Id).ToHashSet(), delivered.ToHashSet());

        // One page of two, then the rest, through the cursor: the held briefs alone, oldest first.
        Assert.Equal(held, (await QueueAsync(reviewer, "status=pendingReview&", 2)).Select(b => b.Id));
        Assert.Equal(held, (await QueueAsync(reviewer, "status=pendingReview&", 500)).Select(b => b.Id));
        var onlyDelivered = await QueueAsync(reviewer, "status=delivered&", 50);
        Assert.Equal(whole.Where(b => b.Status == "delivered").Select(b => b.Id), onlyDelivered.Select(b => b.Id));
    }

    [Theory]
    [InlineData("vetoed")]
    [InlineData("PendingReview")]
    [InlineData("")]
    public async Task ReviewQueue_UnknownStatus_Is400NamingStatus(string status)
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var reviewer = await app.ClientAsync("reviewer");
        using var response = await reviewer.GetAsync($"/v1/reviews?status={status}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty("status", out _), problem.ToString());
    }

    /// <summary>A page of held briefs alone does not walk the delivered ones in their window (the part left out is not read).</summary>
    [Fact]
    public async Task ReviewQueue_HeldOnly_DoesNotReadTheDeliveredBriefs()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var template = app.Services.GetRequiredService<BriefStore>().Get(await app.AtRiskBriefAsync("template", "delivered"))!;
        await AddAsync(app, template, "held", 4, BriefStatus.PendingReview);
        var few = HeldPageSteps(app);
        await AddAsync(app, template, "delivered", 2000, BriefStatus.Delivered);
        var many = HeldPageSteps(app);
        Assert.True(many - few < 100, $"a held-only page took {few} steps beside a few delivered briefs and {many} beside 2,000 more: it walks them");
    }

    private static int HeldPageSteps(AgentCrmApp app)
    {
        using var connection = app.Services.GetRequiredService<SqliteDatabase>().Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = BriefStore.ReviewQueueSql;
        cmd.Parameters.AddWithValue("$delivered", false);
        cmd.Parameters.AddWithValue("$held", true);
        cmd.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToString("O"));
        cmd.Parameters.AddWithValue("$after", 0L);
        cmd.Parameters.AddWithValue("$limit", 51L);
        return SqliteQueries.Steps(cmd);
    }

    private sealed record Queued(string Id, string Status);

    /// <summary>The whole queue for <paramref name="filter"/>, read <paramref name="limit"/> a page through its cursors.</summary>
    private static async Task<List<Queued>> QueueAsync(HttpClient reviewer, string filter, int limit)
    {
        var all = new List<Queued>();
        string? cursor = null;
        do
        {
            using var response = await reviewer.GetAsync($"/v1/reviews?{filter}limit={limit}{(cursor is null ? "" : "&cursor=" + cursor)}");
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            var page = JsonDocument.Parse(text).RootElement;
            var items = page.GetProperty("items").EnumerateArray().Select(b => new Queued(b.GetProperty("id").GetString()!, b.GetProperty("status").GetString()!)).ToList();
            Assert.True(items.Count <= limit);
            all.AddRange(items);
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
        }
        while (cursor is not null);
        Assert.Equal(all.Count, all.Select(b => b.Id).Distinct().Count());
        return all;
    }

    /// <summary>Copies of <paramref name="template"/> in <paramref name="status"/>, stored as the customer actor stores briefs, in one write; their ids in order.</summary>
    private static async Task<List<string>> AddAsync(AgentCrmApp app, Brief template, string prefix, int count, BriefStatus status)
    {
        var store = app.Services.GetRequiredService<BriefStore>();
        var ids = Enumerable.Range(0, count).Select(i => $"{prefix}-{i:0000}").ToList();
        await app.Services.GetRequiredService<SqliteWriter>().WriteAsync(ctx =>
        {
            foreach (var id in ids)
                Assert.True(store.Add(ctx, template with { Id = id, CustomerId = id, Status = status, Review = null, ReviewUntil = status == BriefStatus.Delivered ? template.ReviewUntil : null }, []));
        });
        return ids;
    }
}
