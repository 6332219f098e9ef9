using System.Net;
using System.Text.Json;
using AgentCrm.Audit;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Reviews;
using AgentCrm.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Audit;

/// <summary>
/// An exporter polling <c>GET /v1/audit?since=</c> with the newest <c>at</c> it saw: records were stamped before their write
/// ran (a brief when it was composed, before its citation search and commit), so a <c>brief.created</c> reached the log up to
/// ~0.75 s behind the <c>assessment.fired</c> before it and fell behind the poller's <c>since</c> (qa37c: ~30% missed under
/// load). A record's <c>at</c> is now no earlier than the record before it.
/// </summary>
public sealed class AuditSincePollingTests
{
    [Fact]
    public async Task Since_APollerAskingSinceTheNewestAtItSaw_UnderConcurrentBriefWrites_MissesNoRecord()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var start = (await app.GetJsonAsync("/v1/audit?limit=1")).GetProperty("items")[0].GetProperty("at").GetDateTimeOffset();
        var now = DateTimeOffset.UtcNow;
        var producers = Enumerable.Range(0, 2).Select(p => Task.Run(async () =>
        {
            for (var batch = 0; batch < 12; batch++)
            {
                var events = Enumerable.Range(0, 4).SelectMany(c => Timelines.AtRisk($"poll-{p}-{batch}-{c}", now)).ToList();
                using var response = await app.PostEventsAsync(events);
                Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            }
        })).ToList();

        var seen = new Dictionary<long, string>();
        var since = start;
        var polls = 0;
        async Task PollAsync()
        {
            var newest = since;
            string? cursor = null;
            do
            {
                var page = await app.GetJsonAsync($"/v1/audit?limit=500&since={Uri.EscapeDataString(since.ToString("O"))}{(cursor is null ? "" : "&cursor=" + cursor)}");
                foreach (var record in page.GetProperty("items").EnumerateArray())
                {
                    seen.TryAdd(record.GetProperty("seq").GetInt64(), record.GetProperty("action").GetString()!);
                    var at = record.GetProperty("at").GetDateTimeOffset();
                    if (at > newest)
                        newest = at;
                }
                cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
            }
            while (cursor is not null);
            since = newest;
            polls++;
        }
        while (!producers.All(p => p.IsCompleted))
            await PollAsync();
        await Task.WhenAll(producers);
        var dispatcher = app.Services.GetRequiredService<AgentCrm.Intake.EventDispatcher>();
        var target = app.Services.GetRequiredService<AgentCrm.Intake.EventStore>().MaxSeq();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (dispatcher.Watermark < target)
        {
            Assert.True(DateTime.UtcNow < deadline, $"events up to {target} not processed within 2 minutes (watermark {dispatcher.Watermark})");
            await PollAsync();
        }
        await PollAsync();

        var all = new List<(long Seq, DateTimeOffset At, string Action)>();
        string? next = null;
        do
        {
            var page = await app.GetJsonAsync($"/v1/audit?limit=500&since={Uri.EscapeDataString(start.ToString("O"))}{(next is null ? "" : "&cursor=" + next)}");
            all.AddRange(page.GetProperty("items").EnumerateArray().Select(r =>
                (r.GetProperty("seq").GetInt64(), r.GetProperty("at").GetDateTimeOffset(), r.GetProperty("action").GetString()!)));
            next = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
        }
        while (next is not null);

        Assert.True(all.Count(r => r.Action == "brief.created") >= 96, $"expected a brief for each of the 96 customers; {all.Count} records");
        var missed = all.Where(r => !seen.ContainsKey(r.Seq)).ToList();
        Assert.True(missed.Count == 0, $"{missed.Count} of {all.Count} records missed in {polls} polls, e.g. "
            + string.Join(", ", missed.Take(5).Select(m => $"{m.Seq} {m.Action} at {m.At:O}")));
        // Newest first, so each record's time is no earlier than the next one's (the record before it in seq order).
        var inOrder = all.OrderBy(r => r.Seq).ToList();
        for (var i = 1; i < inOrder.Count; i++)
            Assert.True(inOrder[i].At >= inOrder[i - 1].At, $"record {inOrder[i].Seq} at {inOrder[i].At:O} is before record {inOrder[i - 1].Seq} at {inOrder[i - 1].At:O}");
    }

    [Fact]
    public async Task Append_AnEarlierTime_IsWrittenAsThePreviousRecordsTime_UnlessMoreThanAMinuteBehind_AndTheChainVerifies()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var audit = app.Services.GetRequiredService<AuditLog>();
        var writer = app.Services.GetRequiredService<SqliteWriter>();
        var later = DateTimeOffset.UtcNow.AddSeconds(2);
        Task AppendAsync(string subject, DateTimeOffset at) =>
            writer.WriteAsync(ctx => audit.Append(ctx, "test:order", "test.recorded", subject, new Dictionary<string, object?>(), at));

        await AppendAsync("order:later", later);
        // Stamped before the record above, written after it: it takes that record's time, not its own.
        await AppendAsync("order:earlier", later.AddMilliseconds(-750));
        // More than a minute behind: a clock stepped back. It keeps its own time rather than being pinned ahead of the clock.
        var steppedBack = later.AddMinutes(-5);
        await AppendAsync("order:stepped-back", steppedBack);
        await AppendAsync("order:next", steppedBack.AddMilliseconds(-40));

        var records = (await app.GetJsonAsync("/v1/audit?actor=test:order")).GetProperty("items").EnumerateArray()
            .ToDictionary(r => r.GetProperty("subject").GetString()!, r => r.GetProperty("at").GetDateTimeOffset());
        Assert.Equal(later, records["order:later"]);
        Assert.Equal(later, records["order:earlier"]);
        Assert.Equal(steppedBack, records["order:stepped-back"]);
        Assert.Equal(steppedBack, records["order:next"]);
        var verify = await VerifyAsync(app);
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
    }

    /// <summary>
    /// A directory whose log an earlier build wrote with times out of seq order (as qa37c found them) verifies after the
    /// upgrade, and the records written after it follow the newest one's time.
    /// </summary>
    [Fact]
    public async Task ALogWrittenOutOfTimeOrderBeforeTheChange_StillVerifies_AndGoesOnInOrder()
    {
        var dir = TempDirectory.Create();
        DateTimeOffset newest;
        await using (var app = await AgentCrmApp.StartAsync(dir))
            newest = (await app.GetJsonAsync("/v1/audit?limit=1")).GetProperty("items")[0].GetProperty("at").GetDateTimeOffset();
        // As an earlier build wrote them: a record stamped 0.75 s before the record ahead of it, chained and made the head.
        newest = newest.AddSeconds(1);
        AppendRaw(dir, "assessment.fired", "customer:acme", newest);
        AppendRaw(dir, "assessment.fired", "customer:globex", newest.AddMilliseconds(-750));

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var verify = await VerifyAsync(app);
            Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
            Assert.Equal(HttpStatusCode.OK, (await app.Client.PutAsync("/v1/customers/acme/consent", Variants.Json("""{"grants":[]}"""))).StatusCode);
            var consent = (await app.GetJsonAsync("/v1/audit?action=consent.updated&subject=customer:acme")).GetProperty("items")[0];
            Assert.True(consent.GetProperty("at").GetDateTimeOffset() >= newest.AddMilliseconds(-750));
            verify = await VerifyAsync(app);
            Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        }
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False");
        connection.Open();
        Assert.True(AuditLog.Verify(connection).Ok);
    }

    /// <summary>One record appended to the file as a build before this change could have written it, with the time given.</summary>
    private static void AppendRaw(string dir, string action, string subject, DateTimeOffset at)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False");
        connection.Open();
        using var tx = connection.BeginTransaction();
        using var read = connection.CreateCommand();
        read.Transaction = tx;
        read.CommandText = "SELECT value FROM meta WHERE key = 'audit.head'";
        var head = ((string)read.ExecuteScalar()!).Split(':');
        var seq = long.Parse(head[0], System.Globalization.CultureInfo.InvariantCulture) + 1;
        var when = at.ToUniversalTime().ToString("O");
        var hash = AuditLog.Hash(seq, when, "agent:renewal-risk@1.0.0", action, subject, "{}", head[1]);
        using var write = connection.CreateCommand();
        write.Transaction = tx;
        write.CommandText = """
            INSERT INTO audit (seq, at, actor, action, subject, data, prev_hash, hash) VALUES ($s, $at, 'agent:renewal-risk@1.0.0', $ac, $su, '{}', $p, $h);
            UPDATE meta SET value = $head WHERE key = 'audit.head';
            """;
        write.Parameters.AddWithValue("$s", seq);
        write.Parameters.AddWithValue("$at", when);
        write.Parameters.AddWithValue("$ac", action);
        write.Parameters.AddWithValue("$su", subject);
        write.Parameters.AddWithValue("$p", head[1]);
        write.Parameters.AddWithValue("$h", hash);
        write.Parameters.AddWithValue("$head", $"{seq}:{hash}");
        write.ExecuteNonQuery();
        tx.Commit();
    }

    private static async Task<JsonElement> VerifyAsync(AgentCrmApp app)
    {
        using var response = await app.Client.PostAsync("/v1/audit/verify", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
