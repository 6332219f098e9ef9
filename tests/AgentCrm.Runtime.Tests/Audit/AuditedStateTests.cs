using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Audit;

/// <summary>
/// What someone with write access to the data directory can change beside the log (qa29d): a brief's body or status, a key's
/// role or revocation, the chain's head row. The chain held; verify said intact while users saw the edits.
/// </summary>
public sealed class AuditedStateTests
{
    private static async Task<JsonElement> VerifyAsync(AgentCrmApp app)
    {
        using var response = await app.Client.PostAsync("/v1/audit/verify", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static async Task<long> LastSeqAsync(AgentCrmApp app, string subject) =>
        (await app.GetJsonAsync($"/v1/audit?subject={subject}&limit=1")).GetProperty("items")[0].GetProperty("seq").GetInt64();

    [Fact]
    public async Task Verify_BriefsAndKeysEditedInTheDatabase_NamesEachRowAndTheRecordItDiffersFrom()
    {
        var dir = TempDirectory.Create();
        await using var app = await AgentCrmApp.StartAsync(dir);
        using var reviewer = await app.ClientAsync("reviewer", "rita");
        await app.CreateKeyAsync("csm", "carl");
        await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
        await app.PostEventsAsync(Timelines.AtRisk("initech", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var vetoed = (await app.BriefsAsync("&customerId=acme"))[0].GetProperty("id").GetString()!;
        var other = (await app.BriefsAsync("&customerId=initech"))[0];
        Assert.Equal(HttpStatusCode.OK, (await reviewer.PostAsync($"/v1/briefs/{vetoed}/veto", Variants.Json("""{"reason":"renewed already"}"""))).StatusCode);
        await app.CreateKeyAsync("ops", "olga");
        await app.Services.GetRequiredService<AgentCrm.Access.ApiKeyStore>().RevokeAsync("olga", "test");
        // Every write path that changes a brief or a key leaves rows that match their records.
        var clean = await VerifyAsync(app);
        Assert.True(clean.GetProperty("ok").GetBoolean(), clean.ToString());

        AuditTests.Tamper(dir, $"UPDATE briefs SET body = json_set(body, '$.score', 0.05) WHERE id = '{vetoed}'");
        AuditTests.Tamper(dir, $"UPDATE briefs SET status = 'retracted' WHERE id = '{other.GetProperty("id").GetString()}'");
        AuditTests.Tamper(dir, "UPDATE api_keys SET role = 'admin' WHERE name = 'carl'");
        AuditTests.Tamper(dir, "UPDATE api_keys SET revoked_at = NULL WHERE name = 'olga'");

        var verify = await VerifyAsync(app);
        Assert.False(verify.GetProperty("ok").GetBoolean(), verify.ToString());
        var vetoSeq = await LastSeqAsync(app, $"brief:{vetoed}");
        var differences = verify.GetProperty("differences").EnumerateArray().Select(d => d.GetString()!).ToList();
        Assert.Equal(4, differences.Count);
        Assert.Contains(differences, d => d.StartsWith($"brief {vetoed} differs from what record {vetoSeq} audited", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith($"brief {other.GetProperty("id").GetString()} is retracted but record ", StringComparison.Ordinal)
            && d.Contains($"audited it {other.GetProperty("status").GetString()}", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("key carl has role admin but record ", StringComparison.Ordinal) && d.Contains("audited role csm", StringComparison.Ordinal));
        var revokedSeq = await LastSeqAsync(app, "key:olga");
        Assert.Contains(differences, d => d.StartsWith($"key olga is live but record {revokedSeq} audited it revoked", StringComparison.Ordinal));
        // The chain itself still holds: its head is reported; the difference from the earliest record is where it broke (the CSM
        // key's, created before the briefs).
        Assert.Equal(verify.GetProperty("records").GetInt64(), verify.GetProperty("head").GetProperty("seq").GetInt64());
        Assert.StartsWith("key carl has role admin", verify.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(await LastSeqAsync(app, "key:carl"), verify.GetProperty("brokenAt").GetInt64());
        Assert.Contains("3 more rows differ", verify.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_RecordsOfAnOlderBuildWithoutBodyHash_AreHeldToTheirStatusAlone()
    {
        var dir = TempDirectory.Create();
        string id;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
            await app.WaitForProcessingAsync();
            id = (await app.BriefsAsync("&customerId=acme"))[0].GetProperty("id").GetString()!;
        }
        // A log written before bodyHash: its records are chained as they were written, without it.
        AuditTests.Tamper(dir, "UPDATE audit SET data = json_remove(data, '$.bodyHash') WHERE action = 'brief.created'");
        AuditTests.RewriteChain(dir);
        AuditTests.Tamper(dir, $"UPDATE briefs SET body = json_set(body, '$.score', 0.05) WHERE id = '{id}'");
        await using (var app = await AgentCrmApp.StartAsync(dir))
            Assert.True((await VerifyAsync(app)).GetProperty("ok").GetBoolean());
        AuditTests.Tamper(dir, $"UPDATE briefs SET status = 'vetoed' WHERE id = '{id}'");
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var verify = await VerifyAsync(app);
            Assert.False(verify.GetProperty("ok").GetBoolean());
            Assert.StartsWith($"brief {id} is vetoed but record ", verify.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Append_AfterTheHeadRowWasDeleted_LeavesAChainVerifyStillReportsBroken()
    {
        var dir = TempDirectory.Create();
        await using var app = await AgentCrmApp.StartAsync(dir);
        static StringContent Consent() => Variants.Json("""{"grants":[{"purpose":"*","categories":["usage"]}]}""");
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PutAsync("/v1/customers/acme/consent", Consent())).StatusCode);
        var before = await VerifyAsync(app);
        Assert.True(before.GetProperty("ok").GetBoolean());
        var last = before.GetProperty("records").GetInt64();

        AuditTests.Tamper(dir, "DELETE FROM meta WHERE key = 'audit.head'");
        Assert.Contains("head is not recorded", (await VerifyAsync(app)).GetProperty("reason").GetString(), StringComparison.Ordinal);
        // The next write used to continue from the last row and recorded a head again: verify passed from then on.
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PutAsync("/v1/customers/globex/consent", Consent())).StatusCode);
        var after = await VerifyAsync(app);
        Assert.False(after.GetProperty("ok").GetBoolean(), after.ToString());
        Assert.Equal(last + 1, after.GetProperty("brokenAt").GetInt64());
        Assert.Contains("head (meta audit.head) was missing", after.GetProperty("reason").GetString(), StringComparison.Ordinal);
        // The write itself went on, chained after the record that says so.
        var newest = (await app.GetJsonAsync("/v1/audit?limit=2")).GetProperty("items");
        Assert.Equal(["consent.updated", "audit.head_lost"], newest.EnumerateArray().Select(r => r.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task AuditList_ARecordWhoseDataIsNotJson_IsListedAsUnreadable()
    {
        var dir = TempDirectory.Create();
        await using var app = await AgentCrmApp.StartAsync(dir);
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await app.Client.PutAsync($"/v1/customers/c-{i}/consent", Variants.Json("""{"grants":[{"purpose":"*","categories":["usage"]}]}"""))).StatusCode);
        AuditTests.Tamper(dir, """UPDATE audit SET data = '{"reason":' WHERE seq = (SELECT max(seq) - 1 FROM audit)""");

        var items = (await app.GetJsonAsync("/v1/audit?limit=100")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal("""{"reason":""", items[1].GetProperty("data").GetProperty("stored").GetString());
        Assert.Contains("not JSON", items[1].GetProperty("data").GetProperty("unreadable").GetString(), StringComparison.Ordinal);
        Assert.Equal("customer:c-2", items[0].GetProperty("subject").GetString());
        var verify = await VerifyAsync(app);
        Assert.Equal(items[1].GetProperty("seq").GetInt64(), verify.GetProperty("brokenAt").GetInt64());
    }
}
