using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Audit;

/// <summary>The audit chain after a realistic run, and what verify reports when someone edits the SQLite file by hand.</summary>
public sealed class AuditTests
{
    /// <summary>Events, briefs, a veto, a consent change, a key and a lifecycle action: returns the data directory, server stopped.</summary>
    private static async Task<string> RealisticRunAsync()
    {
        var dir = TempDirectory.Create();
        await using var app = await AgentCrmApp.StartAsync(dir);
        using var reviewer = await app.ClientAsync("reviewer", "rita");
        await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
        await app.PostEventsAsync(Timelines.Healthy("globex", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var brief = (await app.BriefsAsync("&customerId=acme"))[0].GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await reviewer.PostAsync($"/v1/briefs/{brief}/veto", Variants.Json("""{"reason":"renewed already"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PutAsync("/v1/customers/globex/consent",
            Variants.Json("""{"grants":[{"purpose":"customer-success","categories":["usage","contract"]}]}"""))).StatusCode);
        await Variants.RegisterAsync(app, "1.0.2");

        var verify = await VerifyAsync(app);
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        var actions = new List<string>();
        string? cursor = null;
        do
        {
            var page = await app.GetJsonAsync($"/v1/audit?limit=500{(cursor is null ? "" : "&cursor=" + cursor)}");
            actions.AddRange(page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("action").GetString()!));
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
        }
        while (cursor is not null);
        Assert.Equal(verify.GetProperty("records").GetInt32(), actions.Count);
        foreach (var expected in new[] { "agent.registered", "agent.active", "key.created", "brief.created", "brief.vetoed", "consent.updated" })
            Assert.Contains(expected, actions);

        var vetoRecord = (await app.GetJsonAsync($"/v1/audit?subject=brief:{brief}&action=brief.vetoed")).GetProperty("items")[0];
        Assert.Equal("key:rita", vetoRecord.GetProperty("actor").GetString());
        Assert.Equal("renewed already", vetoRecord.GetProperty("data").GetProperty("reason").GetString());
        Assert.StartsWith("sha256:", vetoRecord.GetProperty("data").GetProperty("contentHash").GetString());
        return dir;
    }

    private static async Task<JsonElement> VerifyAsync(AgentCrmApp app, string? body = null)
    {
        using var response = await app.Client.PostAsync("/v1/audit/verify", body is null ? null : Variants.Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>
    /// What someone with write access to the file can do that the chain alone cannot catch: after an edit, every hash
    /// from the first record on and the recorded head are computed again, so the log is consistent with itself.
    /// </summary>
    internal static void RewriteChain(string dir)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False");
        connection.Open();
        using var tx = connection.BeginTransaction();
        var rows = new List<(long Seq, string At, string Actor, string Action, string Subject, string Data)>();
        using (var read = connection.CreateCommand())
        {
            read.Transaction = tx;
            read.CommandText = "SELECT seq, at, actor, action, subject, data FROM audit ORDER BY seq";
            using var reader = read.ExecuteReader();
            while (reader.Read())
                rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5)));
        }
        var prev = AgentCrm.Audit.AuditLog.Genesis;
        foreach (var r in rows)
        {
            var hash = AgentCrm.Audit.AuditLog.Hash(r.Seq, r.At, r.Actor, r.Action, r.Subject, r.Data, prev);
            using var update = connection.CreateCommand();
            update.Transaction = tx;
            update.CommandText = "UPDATE audit SET prev_hash = $p, hash = $h WHERE seq = $s";
            update.Parameters.AddWithValue("$p", prev);
            update.Parameters.AddWithValue("$h", hash);
            update.Parameters.AddWithValue("$s", r.Seq);
            update.ExecuteNonQuery();
            prev = hash;
        }
        using (var head = connection.CreateCommand())
        {
            head.Transaction = tx;
            head.CommandText = "UPDATE meta SET value = $v WHERE key = 'audit.head'";
            head.Parameters.AddWithValue("$v", $"{rows[^1].Seq}:{prev}");
            Assert.Equal(1, head.ExecuteNonQuery());
        }
        tx.Commit();
    }

    private static string Anchors(params JsonElement[] heads) =>
        JsonSerializer.Serialize(new { anchors = heads.Select(h => new { seq = h.GetProperty("seq").GetInt64(), hash = h.GetProperty("hash").GetString() }) });

    [Fact]
    public async Task Verify_AnchoredToAnEarlierHead_CatchesALogRewrittenHeadAndAll()
    {
        var dir = await RealisticRunAsync();
        JsonElement head;
        long vetoSeq;
        await using (var app = await AgentCrmApp.StartAsync(CopyOf(dir)))
        {
            var verified = await VerifyAsync(app);
            head = verified.GetProperty("head");
            Assert.Equal(verified.GetProperty("records").GetInt64(), head.GetProperty("seq").GetInt64());
            Assert.Matches("^[0-9a-f]{64}$", head.GetProperty("hash").GetString());
            vetoSeq = (await app.GetJsonAsync("/v1/audit?action=brief.vetoed")).GetProperty("items")[0].GetProperty("seq").GetInt64();
            // The log goes on after the anchor was taken: an anchor still holds, whatever was appended since.
            await Variants.RegisterAsync(app, "1.0.3");
            var later = await VerifyAsync(app, Anchors(head));
            Assert.True(later.GetProperty("ok").GetBoolean(), later.ToString());
            Assert.True(later.GetProperty("records").GetInt64() > head.GetProperty("seq").GetInt64());
        }

        // The veto's reason edited, every hash and the head computed again: the chain alone is consistent...
        var rewritten = CopyOf(dir);
        Tamper(rewritten, "UPDATE audit SET data = replace(data, 'renewed already', 'never happened') WHERE action = 'brief.vetoed'");
        RewriteChain(rewritten);
        await using (var app = await AgentCrmApp.StartAsync(rewritten))
        {
            Assert.True((await VerifyAsync(app)).GetProperty("ok").GetBoolean());
            // ...but not with the head an earlier verify gave.
            var anchored = await VerifyAsync(app, Anchors(head));
            Assert.False(anchored.GetProperty("ok").GetBoolean(), anchored.ToString());
            Assert.Equal(head.GetProperty("seq").GetInt64(), anchored.GetProperty("brokenAt").GetInt64());
            Assert.Contains("rewritten", anchored.GetProperty("reason").GetString());
            Assert.Equal(JsonValueKind.Null, anchored.GetProperty("head").ValueKind);
            // An anchor before the edited record still holds: the rewrite is placed between the two.
            var before = JsonDocument.Parse($$"""{"seq":{{vetoSeq - 1}},"hash":"{{await HashOfAsync(dir, vetoSeq - 1)}}"}""").RootElement;
            Assert.True((await VerifyAsync(app, Anchors(before))).GetProperty("ok").GetBoolean());
        }

        // The newest records removed and the head moved back to the last one kept.
        var truncated = CopyOf(dir);
        Tamper(truncated, $"DELETE FROM audit WHERE seq > {vetoSeq}");
        RewriteChain(truncated);
        await using (var app = await AgentCrmApp.StartAsync(truncated))
        {
            var anchored = await VerifyAsync(app, Anchors(head));
            Assert.False(anchored.GetProperty("ok").GetBoolean(), anchored.ToString());
            Assert.Contains("removed", anchored.GetProperty("reason").GetString());
        }
    }

    private static async Task<string> HashOfAsync(string dir, long seq)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT hash FROM audit WHERE seq = {seq}";
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Verify_BadAnchors_Are400NamingEachOne()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var response = await app.Client.PostAsync("/v1/audit/verify",
            Variants.Json("""{"anchors":[{"seq":3,"hash":"abc"},{"seq":0,"hash":"%%"},null]}""".Replace("%%", new string('a', 64))));
        var errors = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        var fields = errors.EnumerateObject().Select(e => e.Name).ToList();
        Assert.Equal(["anchors[0].hash", "anchors[1].seq", "anchors[2]"], fields.Order());
        Assert.Contains("64 hexadecimal digits", errors.GetProperty("anchors[0].hash")[0].GetString());
        // A seq was given (0): it is not "required", it is out of range.
        Assert.Equal("seq must be 1 or more: the anchored record's number.", errors.GetProperty("anchors[1].seq")[0].GetString());
        using (var negative = await app.Client.PostAsync("/v1/audit/verify", Variants.Json("""{"anchors":[{"seq":-1,"hash":"%%"}]}""".Replace("%%", new string('a', 64)))))
            Assert.Equal("seq must be 1 or more: the anchored record's number.",
                (await negative.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("anchors[0].seq")[0].GetString());
        using (var missing = await app.Client.PostAsync("/v1/audit/verify", Variants.Json("""{"anchors":[{"hash":"%%"}]}""".Replace("%%", new string('a', 64)))))
            Assert.Equal("seq is required: the anchored record's number, 1 or more.",
                (await missing.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("anchors[0].seq")[0].GetString());

        // An empty body is no anchors, whatever type it declares (curl -d '' sends a form's): as before anchors existed.
        using var empty = await app.Client.PostAsync("/v1/audit/verify", new StringContent("", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
        using var form = await app.Client.PostAsync("/v1/audit/verify", new StringContent("anchors=1", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Contains("reads application/json", (await form.ProblemAsync(HttpStatusCode.UnsupportedMediaType)).GetProperty("errors").GetProperty("Content-Type")[0].GetString());
    }

    private static string CopyOf(string dir)
    {
        var copy = TempDirectory.Create();
        foreach (var file in Directory.GetFiles(dir, "agentcrm.db*"))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }

    /// <summary>Runs one statement on the data directory's agentcrm.db, as an insider with write access would; it must change a row.</summary>
    internal static void Tamper(string dir, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        Assert.True(cmd.ExecuteNonQuery() > 0, $"the tampering statement changed nothing: {sql}");
    }

    [Fact]
    public async Task AssessmentRecords_ATurnRepeatedForTheSameEvent_RecordsOnce()
    {
        // After a crash, the inbox redelivers events whose turn had already written its audit records (the state save
        // did not happen): the repeated turn must not write them twice. Another triggering event is another record.
        await using var app = await AgentCrmApp.StartAsync();
        var audit = app.Services.GetRequiredService<AgentCrm.Audit.AssessmentAudit>();
        var writer = app.Services.GetRequiredService<AgentCrm.Storage.SqliteWriter>();
        var agent = app.Services.GetRequiredService<AgentCrm.Agents.AgentRegistry>().Find("renewal-risk", "1.0.1");
        foreach (var trigger in new[] { "e-1", "e-1", "e-2" })
        {
            await writer.WriteAsync(ctx => audit.FiredWithoutBrief(ctx, agent, "acme", 0.8, [trigger], "cooldown", trigger));
            await writer.WriteAsync(ctx => audit.ConsentBlocked(ctx, agent, "acme", ["usage.last30d"], trigger));
        }

        foreach (var action in new[] { "assessment.fired", "consent.blocked" })
        {
            var records = (await app.GetJsonAsync($"/v1/audit?subject=customer:acme&action={action}")).GetProperty("items").EnumerateArray().ToList();
            Assert.Equal(["e-1", "e-2"], records.Select(r => r.GetProperty("data").GetProperty("eventIds")[0].GetString()).Order());
        }
        Assert.True((await VerifyAsync(app)).GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task TheChainVerifies_AndEveryKindOfHandEditIsCaughtAtTheRecordItBreaks()
    {
        var dir = await RealisticRunAsync();
        Assert.True(File.Exists(Path.Combine(dir, "agentcrm.db")), "expected the database file to be agentcrm.db");

        var cases = new (string Name, string Sql, long BrokenAt)[]
        {
            ("edited data", "UPDATE audit SET data = replace(data, 'renewed already', 'never happened') WHERE action = 'brief.vetoed'", -1),
            ("edited actor", "UPDATE audit SET actor = 'key:mallory' WHERE seq = 3", 3),
            ("deleted row", "DELETE FROM audit WHERE seq = 4", 4),
            ("reordered rows", "UPDATE audit SET seq = -5 WHERE seq = 5; UPDATE audit SET seq = 5 WHERE seq = 6; UPDATE audit SET seq = 6 WHERE seq = -5", 5),
            ("deleted newest", "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)", -2),
        };
        foreach (var (name, sql, brokenAt) in cases)
        {
            var copy = CopyOf(dir);
            long total;
            long vetoSeq;
            using (var connection = new SqliteConnection($"Data Source={Path.Combine(copy, "agentcrm.db")};Pooling=False"))
            {
                connection.Open();
                using var count = connection.CreateCommand();
                count.CommandText = "SELECT count(*), (SELECT seq FROM audit WHERE action = 'brief.vetoed') FROM audit";
                using var reader = count.ExecuteReader();
                reader.Read();
                total = reader.GetInt64(0);
                vetoSeq = reader.GetInt64(1);
            }
            Tamper(copy, sql);
            await using var app = await AgentCrmApp.StartAsync(copy);
            var result = await VerifyAsync(app);
            Assert.False(result.GetProperty("ok").GetBoolean(), $"{name}: verify did not notice: {result}");
            var expected = brokenAt switch { -1 => vetoSeq, -2 => total, _ => brokenAt };
            Assert.True(expected == result.GetProperty("brokenAt").GetInt64(), $"{name}: expected the break at {expected}: {result}");
            Assert.False(string.IsNullOrEmpty(result.GetProperty("reason").GetString()));
        }
    }
}
