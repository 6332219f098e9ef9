using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Access;
using AgentCrm.Briefs;
using AgentCrm.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// A stream client that reconnects (a laptop asleep, a proxy's cut) sends the last event id it had, as every SSE client
/// does. The stream sent ids and ignored them: the briefs made meanwhile never came, and the client believed it was caught
/// up. Now it is first sent what it may see that changed after that event, in order, then the live ones, none twice.
/// </summary>
public sealed class BriefStreamResumeTests
{
    [Fact]
    public async Task Stream_ReconnectWithLastEventId_ReplaysWhatChangedMeanwhileInOrder_ThenContinuesLive()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var ops = await app.ClientAsync(Roles.Ops, "ops-laptop");
        string lastId;
        await using (var first = await StreamEvents.OpenAsync(ops))
        {
            await app.AtRiskBriefAsync("resume-1", "delivered");
            var newest = await app.AtRiskBriefAsync("resume-2", "delivered");
            lastId = (await first.ThroughAsync(newest)).EventId!;
        }

        // While the client is away: new briefs, a retraction of one it had, more new briefs.
        await app.AtRiskBriefAsync("resume-3", "delivered");
        var retracted = await app.AtRiskBriefAsync("resume-1b", "delivered");
        using (var veto = await app.Client.PostAsync($"/v1/briefs/{retracted}/veto", Json("""{"reason":"renewed by phone"}""")))
            Assert.Equal(HttpStatusCode.OK, veto.StatusCode);
        await app.AtRiskBriefAsync("resume-4", "delivered");
        // In the order they changed: resume-1b's retracted brief once, at its retraction, not at its creation.
        List<string> missed = [.. await OldestFirstAsync(ops, "resume-3"), .. (await OldestFirstAsync(ops, "resume-1b")).Where(id => id != retracted),
            retracted, .. await OldestFirstAsync(ops, "resume-4")];

        await using var again = await StreamEvents.OpenAsync(ops, lastId);
        var replayed = await again.BriefsAsync(missed.Count, "the briefs changed while away");
        Assert.Equal(missed, replayed.Select(Id));
        Assert.Equal("retracted", replayed.Single(e => Id(e) == retracted).Data.GetProperty("status").GetString());
        // Then live, with nothing sent twice between.
        await app.AtRiskBriefAsync("resume-5", "delivered");
        var live = await OldestFirstAsync(ops, "resume-5");
        Assert.Equal(live, (await again.BriefsAsync(live.Count, "the live briefs after the replay")).Select(Id));
    }

    [Fact]
    public async Task Stream_CsmReconnectWithLastEventIdQueryParameter_ReplaysOnlyTheirAccounts()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (var assigned = await app.Client.PutAsync("/v1/csms/carla/accounts", Json("""{"accounts":["mine-1","mine-2","mine-3"]}""")))
            Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        using var carla = await app.ClientAsync(Roles.Csm, "carla");
        string lastId;
        await using (var first = await StreamEvents.OpenAsync(carla))
            lastId = (await first.ThroughAsync(await app.AtRiskBriefAsync("mine-1", "delivered"))).EventId!;

        // Another account's briefs, one of them retracted, around hers.
        var theirs = await app.AtRiskBriefAsync("theirs-1", "delivered");
        await app.AtRiskBriefAsync("mine-2", "delivered");
        await app.AtRiskBriefAsync("theirs-2", "delivered");
        using (var veto = await app.Client.PostAsync($"/v1/briefs/{theirs}/veto", Json("""{"reason":"renewed by phone"}""")))
            Assert.Equal(HttpStatusCode.OK, veto.StatusCode);
        var mine = await OldestFirstAsync(carla, "mine-2");
        Assert.NotEmpty(mine);

        // A client that cannot set headers names the last id in the query.
        await using var again = await StreamEvents.OpenAsync(carla, lastId, inQuery: true);
        Assert.Equal(mine, (await again.BriefsAsync(mine.Count, "mine-2's briefs, made while away")).Select(Id));
        await app.AtRiskBriefAsync("theirs-3", "delivered");
        await app.AtRiskBriefAsync("mine-3", "delivered");
        var live = await OldestFirstAsync(carla, "mine-3");
        Assert.Equal(live, (await again.BriefsAsync(live.Count, "mine-3's live briefs")).Select(Id));
    }

    [Theory]
    [InlineData("brf_0123456789abcdef")]
    [InlineData("not an id")]
    public async Task Stream_LastEventIdItCannotPlace_SendsResyncThenGoesLive(string lastEventId)
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var ops = await app.ClientAsync(Roles.Ops);
        await app.AtRiskBriefAsync("resync-0", "delivered");
        await using var stream = await StreamEvents.OpenAsync(ops, lastEventId);
        var resync = await stream.NextAsync("resync", "the resync notice");
        Assert.Equal(lastEventId, resync.Data.GetProperty("lastEventId").GetString());
        Assert.False(string.IsNullOrEmpty(resync.EventId));
        await app.AtRiskBriefAsync("resync-1", "delivered");
        var live = await OldestFirstAsync(ops, "resync-1");
        Assert.Equal(live, (await stream.BriefsAsync(live.Count, "the live briefs after the resync")).Select(Id));

        // The resync's id places the client: a reconnect with it is sent what came after (the live briefs), nothing before.
        await using var again = await StreamEvents.OpenAsync(ops, resync.EventId);
        Assert.Equal(live, (await again.BriefsAsync(live.Count, "the briefs after the resync, replayed")).Select(Id));
    }

    /// <summary>Another list's cursor is not an event id either (the ids are opaque as cursors are, with a prefix of their own).</summary>
    [Fact]
    public async Task Stream_ListCursorAsLastEventId_SendsResync()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.AtRiskBriefAsync("cursor-0", "delivered");
        await app.AtRiskBriefAsync("cursor-1", "delivered");
        var cursor = (await app.GetJsonAsync("/v1/briefs?limit=1")).GetProperty("nextCursor").GetString()!;
        using var ops = await app.ClientAsync(Roles.Ops);
        await using var stream = await StreamEvents.OpenAsync(ops, cursor);
        Assert.Equal(cursor, (await stream.NextAsync("resync", "the resync notice")).Data.GetProperty("lastEventId").GetString());
    }

    /// <summary>
    /// More missed than a queue holds: the newest <see cref="BriefStreamQueue.Capacity"/> come, after one overflow notice
    /// for the older ones whose cursor lists exactly those; the notice's id resumes after them.
    /// </summary>
    [Fact]
    public async Task Stream_ReconnectAfterMoreThanAQueueHolds_SendsOverflowForTheOldestThenTheNewest()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var ops = await app.ClientAsync(Roles.Ops, "ops-away");
        string lastId;
        await using (var first = await StreamEvents.OpenAsync(ops))
        {
            lastId = (await first.ThroughAsync(await app.AtRiskBriefAsync("bound-0", "delivered"))).EventId!;
        }
        var template = app.Services.GetRequiredService<BriefStore>().Get((await app.BriefsAsync())[0].GetProperty("id").GetString()!)!;
        const int extra = 10;
        var missed = await AddDeliveredAsync(app, template, "bound", BriefStreamQueue.Capacity + extra, perWrite: 100);

        await using var again = await StreamEvents.OpenAsync(ops, lastId);
        var notice = await again.NextAsync("overflow", "the notice of the oldest missed");
        Assert.Equal(extra, notice.Data.GetProperty("dropped").GetInt64());
        var listed = (await app.GetJsonAsync($"/v1/briefs?limit=1&cursor={notice.Data.GetProperty("cursor").GetString()}")).GetProperty("items")[0];
        Assert.Equal(missed[extra - 1], listed.GetProperty("id").GetString());
        Assert.Equal(missed[0], notice.Data.GetProperty("oldestId").GetString());
        foreach (var id in missed[extra..])
            Assert.Equal(id, Id(await again.NextAsync("brief", $"missed brief {id}")));

        await using var fromNotice = await StreamEvents.OpenAsync(ops, notice.EventId);
        Assert.Equal(missed[extra], Id(await fromNotice.NextAsync("brief", "the first brief after the notice's id")));
    }

    /// <summary>
    /// Briefs written without pause while the client reconnects: the replay and the live queue meet with every brief after
    /// the last id once, in order, wherever the seam falls.
    /// </summary>
    [Fact]
    public async Task Stream_ReconnectWhileBriefsAreWritten_SendsEachOnceInOrder()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var ops = await app.ClientAsync(Roles.Ops, "ops-seam");
        string lastId;
        await using (var first = await StreamEvents.OpenAsync(ops))
        {
            lastId = (await first.ThroughAsync(await app.AtRiskBriefAsync("seam-0", "delivered"))).EventId!;
        }
        var template = app.Services.GetRequiredService<BriefStore>().Get((await app.BriefsAsync())[0].GetProperty("id").GetString()!)!;
        var writing = AddDeliveredAsync(app, template, "seam", 400, perWrite: 1);
        await Task.Delay(50);
        await using var again = await StreamEvents.OpenAsync(ops, lastId);
        var written = await writing;
        Assert.Equal(written, (await again.BriefsAsync(written.Count, "the briefs written meanwhile")).Select(Id));
    }

    /// <summary>
    /// A fresh stream's client may act as soon as it has the headers (it is subscribed): every brief committed after that
    /// comes. The stream read its head after sending the headers, so a brief committed before the stream went on (a loaded
    /// machine, CI: BriefStreamEpochTests) was before the head, not queued, and sent by no replay: lost. Here the stream's
    /// request is held for a while once its headers are out, as a busy thread pool holds it.
    /// </summary>
    [Fact]
    public async Task Stream_Fresh_HeldAfterItsHeaders_SendsTheBriefCommittedMeanwhile()
    {
        await using var app = await AgentCrmApp.StartAsync(configure: services => services.AddTransient<IStartupFilter, HoldAfterFirstFlush>());
        using var ops = await app.ClientAsync(Roles.Ops, "ops-fresh");
        var template = app.Services.GetRequiredService<BriefStore>().Get(await app.AtRiskBriefAsync("fresh-0", "delivered"))!;
        await using var stream = await StreamEvents.OpenAsync(ops);
        var meanwhile = await AddDeliveredAsync(app, template, "meanwhile", 2, perWrite: 1);
        await Task.Delay(HoldAfterFirstFlush.Hold * 2);
        var after = await AddDeliveredAsync(app, template, "after", 1, perWrite: 1);
        Assert.Equal([.. meanwhile, .. after], (await stream.BriefsAsync(3, "the briefs committed once the client had the headers")).Select(Id));
    }

    /// <summary>Holds a brief stream's request <see cref="Hold"/> after its first flush (the headers) has reached the client.</summary>
    private sealed class HoldAfterFirstFlush : IStartupFilter
    {
        public static readonly TimeSpan Hold = TimeSpan.FromMilliseconds(500);

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, call) =>
            {
                if (context.Request.Path.StartsWithSegments("/v1/briefs/stream"))
                    context.Response.Body = new HeldStream(context.Response.Body);
                await call(context);
            });
            next(app);
        };

        private sealed class HeldStream(Stream inner) : Stream
        {
            private int _flushes;

            public override async Task FlushAsync(CancellationToken cancellationToken)
            {
                await inner.FlushAsync(cancellationToken);
                if (Interlocked.Increment(ref _flushes) == 1)
                    await Task.Delay(Hold, cancellationToken);
            }

            public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);
            public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
            public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
            public override void Flush() => inner.Flush();
            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }
    }

    /// <summary>
    /// The positions (briefs.change_seq, 2026-12-05) in a directory from before them: its briefs take their seq at the first
    /// start, and what an older build writes afterwards (knowing no such column) takes one from the triggers the file holds,
    /// so a client's last id from before a restart still places it, across both builds' writes.
    /// </summary>
    [Fact]
    public async Task Stream_OnADirectoryFromBeforePositions_ReplaysAcrossRestarts_AndAnOlderBuildsWrites()
    {
        var data = TempDirectory.Create();
        string key, old;
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            key = await app.CreateKeyAsync(Roles.Ops, "ops-upgrade");
            old = await app.AtRiskBriefAsync("before-1", "delivered");
        }
        Sql(data, """
            DROP TRIGGER briefs_change_added; DROP TRIGGER briefs_change_changed; DROP INDEX briefs_changes;
            ALTER TABLE briefs DROP COLUMN change_seq; DELETE FROM meta WHERE key = 'briefs.change_seq_filled';
            """);
        string lastId;
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            using (var connection = app.Services.GetRequiredService<SqliteDatabase>().Open())
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT count(*) FROM briefs WHERE change_seq IS NULL OR change_seq <> seq";
                Assert.Equal(0L, command.ExecuteScalar());
            }
            using var ops = Client(app, key);
            await using var stream = await StreamEvents.OpenAsync(ops);
            lastId = (await stream.ThroughAsync(await app.AtRiskBriefAsync("after-1", "delivered"))).EventId!;
        }
        // An older build's writes, with the statements it has: a brief stored, then the old brief vetoed.
        Sql(data, """
            INSERT INTO briefs (id, customer_id, agent_id, agent_version, scenario, status, created_at, body)
                SELECT 'brf_older_build', customer_id, agent_id, agent_version, scenario, status, created_at, json_set(body, '$.id', 'brf_older_build')
                FROM briefs WHERE id = $id;
            UPDATE briefs SET status = 'retracted', body = json_set(body, '$.status', 'retracted') WHERE id = $id;
            """, old);
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            using var ops = Client(app, key);
            await using var stream = await StreamEvents.OpenAsync(ops, lastId);
            var replayed = await stream.BriefsAsync(2, "the older build's brief and veto");
            Assert.Equal(["brf_older_build", old], replayed.Select(Id));
            Assert.Equal("retracted", replayed[1].Data.GetProperty("status").GetString());
        }
    }

    private static HttpClient Client(AgentCrmApp app, string key)
    {
        var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static void Sql(string dataDirectory, string sql, string? briefId = null)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDirectory, "agentcrm.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (briefId is not null)
            command.Parameters.AddWithValue("$id", briefId);
        command.ExecuteNonQuery();
    }

    /// <summary>A CSM's replay is read through their accounts' briefs, never every brief in a state (briefs_status).</summary>
    [Fact]
    public async Task StreamReplay_ForACsm_ReadsTheirAccountsBriefs()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var connection = app.Services.GetRequiredService<SqliteDatabase>().Open();
        using var cmd = connection.CreateCommand();
        var (visible, args) = BriefStreamReplay.Visibility(new Caller("carla", Roles.Csm, "key"));
        cmd.CommandText = BriefStreamReplay.ReplaySql(visible);
        foreach (var (name, value) in args)
            cmd.Parameters.AddWithValue(name, value);
        cmd.Parameters.AddWithValue("$after", 0L);
        cmd.Parameters.AddWithValue("$head", 100L);
        cmd.Parameters.AddWithValue("$n", 1025L);
        var plan = SqliteQueries.Plan(cmd);
        Assert.DoesNotContain(plan, step => step.Contains("briefs_status", StringComparison.Ordinal));
        Assert.Contains(plan, step => step.Contains("briefs_customer", StringComparison.Ordinal) || step.Contains("briefs_changes", StringComparison.Ordinal));
    }

    /// <summary>Copies of <paramref name="template"/>, delivered, stored as the customer actor stores them, <paramref name="perWrite"/> a write; their ids in order.</summary>
    internal static async Task<List<string>> AddDeliveredAsync(AgentCrmApp app, Brief template, string prefix, int count, int perWrite)
    {
        var store = app.Services.GetRequiredService<BriefStore>();
        var writer = app.Services.GetRequiredService<SqliteWriter>();
        var ids = Enumerable.Range(0, count).Select(i => $"{prefix}-{i:0000}").ToList();
        foreach (var chunk in ids.Chunk(perWrite))
            await writer.WriteAsync(ctx =>
            {
                foreach (var id in chunk)
                    Assert.True(store.Add(ctx, template with { Id = id, CustomerId = id, Status = BriefStatus.Delivered }, []));
            });
        return ids;
    }

    /// <summary>The customer's briefs <paramref name="lister"/> may see, oldest first (the order the stream sent them in).</summary>
    private static async Task<List<string>> OldestFirstAsync(HttpClient lister, string customerId)
    {
        using var response = await lister.GetAsync($"/v1/briefs?limit=500&customerId={customerId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return page.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()!).Reverse().ToList();
    }

    internal static string Id(StreamEvent e) => e.Data.GetProperty("id").GetString()!;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
