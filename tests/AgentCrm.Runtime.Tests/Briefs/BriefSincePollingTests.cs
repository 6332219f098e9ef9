using System.Text.Json;
using AgentCrm.Briefs;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// A tool polling <c>GET /v1/briefs?since=</c> with the newest <c>createdAt</c> it saw: turns stamp their brief before
/// their citation search and commit, so concurrent turns reached the store out of that order (qa27c: 31 inversions among
/// 160, up to ~60 ms) and a brief stored after a later-stamped one fell behind the poller's <c>since</c>.
/// </summary>
public sealed class BriefSincePollingTests
{
    [Fact]
    public async Task Since_ABriefStampedEarlierButStoredLater_IsStillSeenByAPollerAskingSinceTheNewestItSaw()
    {
        var data = TempDirectory.Create();
        var stamped = DateTimeOffset.UtcNow.AddMinutes(5);
        Brief template;
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
            await app.WaitForProcessingAsync();
            var store = app.Services.GetRequiredService<BriefStore>();
            template = store.Get((await app.BriefsAsync("&customerId=acme-1"))[0].GetProperty("id").GetString()!)!;
            // The turn that stamped first commits second.
            await AddAsync(app, template with { Id = "later-stamp", CreatedAt = stamped.AddMilliseconds(60), ReviewUntil = stamped.AddMilliseconds(60).AddHours(72) });
            var seen = await app.BriefsAsync();
            var newest = seen.Max(b => b.GetProperty("createdAt").GetDateTimeOffset());

            await AddAsync(app, template with { Id = "earlier-stamp", CreatedAt = stamped, ReviewUntil = stamped.AddHours(72) });

            var next = await PollAsync(app, newest);
            var late = Assert.Single(next, b => b.GetProperty("id").GetString() == "earlier-stamp");
            Assert.Equal(newest, late.GetProperty("createdAt").GetDateTimeOffset());
            // Its veto window keeps its length.
            Assert.Equal(newest.AddHours(72), late.GetProperty("reviewUntil").GetDateTimeOffset());
            var listed = (await app.BriefsAsync()).Select(b => b.GetProperty("createdAt").GetDateTimeOffset()).ToList();
            Assert.Equal(listed.OrderByDescending(t => t), listed);
        }

        // After a restart the floor is the last stored brief, not the process's first.
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            var newest = (await app.BriefsAsync())[0].GetProperty("createdAt").GetDateTimeOffset();
            await AddAsync(app, template with { Id = "after-restart", CreatedAt = newest.AddSeconds(-2), ReviewUntil = null, Status = BriefStatus.PendingReview });
            Assert.Contains(await PollAsync(app, newest), b => b.GetProperty("id").GetString() == "after-restart");
        }
    }

    /// <summary>
    /// A clock stepped back (or a directory restored from a host whose clock ran ahead): briefs keep their own time rather
    /// than all being pinned to one ahead of it, with veto windows stretched by the step (rev27), and the order follows the
    /// clock again from there.
    /// </summary>
    [Fact]
    public async Task Since_AfterTheClockSteppedBackMoreThanAMinute_BriefsKeepTheirOwnTimeAndWindow()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync(Timelines.AtRisk("acme-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var template = app.Services.GetRequiredService<BriefStore>().Get((await app.BriefsAsync("&customerId=acme-1"))[0].GetProperty("id").GetString()!)!;
        var ahead = DateTimeOffset.UtcNow.AddDays(1);
        await AddAsync(app, template with { Id = "ahead", CreatedAt = ahead, ReviewUntil = ahead.AddHours(72) });

        var now = DateTimeOffset.UtcNow;
        await AddAsync(app, template with { Id = "stepped-back", CreatedAt = now, ReviewUntil = now.AddHours(72) });
        await AddAsync(app, template with { Id = "next", CreatedAt = now.AddMilliseconds(-50), ReviewUntil = now.AddMilliseconds(-50).AddHours(72) });

        var briefs = (await app.BriefsAsync()).ToDictionary(b => b.GetProperty("id").GetString()!);
        Assert.Equal(now, briefs["stepped-back"].GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal(now.AddHours(72), briefs["stepped-back"].GetProperty("reviewUntil").GetDateTimeOffset());
        // The order from there is the clock's again: the next brief, 50 ms behind, is moved up to the one before it.
        Assert.Equal(now, briefs["next"].GetProperty("createdAt").GetDateTimeOffset());
    }

    private static Task AddAsync(AgentCrmApp app, Brief brief)
    {
        var store = app.Services.GetRequiredService<BriefStore>();
        return app.Services.GetRequiredService<SqliteWriter>().WriteAsync(ctx => Assert.True(store.Add(ctx, brief, [])));
    }

    private static Task<List<JsonElement>> PollAsync(AgentCrmApp app, DateTimeOffset since) =>
        app.BriefsAsync("&since=" + Uri.EscapeDataString(since.ToString("O")));
}
