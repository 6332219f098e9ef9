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
        await Variants.RegisterAsync(app, "1.0.1");

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

    private static async Task<JsonElement> VerifyAsync(AgentCrmApp app)
    {
        using var response = await app.Client.PostAsync("/v1/audit/verify", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static string CopyOf(string dir)
    {
        var copy = TempDirectory.Create();
        foreach (var file in Directory.GetFiles(dir, "agentcrm.db*"))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }

    private static void Tamper(string dir, string sql)
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
        var agent = app.Services.GetRequiredService<AgentCrm.Agents.AgentRegistry>().Find("renewal-risk", "1.0.0");
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
