using AgentCrm.Audit;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Audit;

/// <summary>
/// The audit list after months holds millions of records; filtering it by a rare action (a promotion, a key created)
/// must not read every record.
/// </summary>
public sealed class AuditFilterScaleTests
{
    /// <summary>The SQLite virtual-machine steps the query <c>GET /v1/audit</c> runs for <paramref name="q"/> takes on the server's database.</summary>
    private static int QuerySteps(AgentCrmApp app, AuditQuery q)
    {
        using var connection = app.Services.GetRequiredService<AgentCrm.Storage.SqliteDatabase>().Open();
        using var cmd = connection.CreateCommand();
        AuditLog.Prepare(cmd, q);
        return SqliteQueries.Steps(cmd);
    }

    [Fact]
    public async Task AuditList_FilteredByARareAction_OrBySubjectAndACommonAction_DoesNotReadEveryRecord()
    {
        await using var app = await AgentCrmApp.StartAsync();
        const int records = 300;
        for (var i = 0; i < records; i++)
            Assert.True((await app.Client.PutAsync($"/v1/customers/c-{i}/consent", Variants.Json("""{"grants":[{"purpose":"*","categories":["usage"]}]}"""))).IsSuccessStatusCode);
        var page = await app.GetJsonAsync("/v1/audit?action=key.created");
        Assert.Single(page.GetProperty("items").EnumerateArray());

        // Before, a scan of the whole log newest first: some ten steps for each of the consent records before the key's.
        var steps = QuerySteps(app, new AuditQuery(null, "key.created", null, 51, null));
        Assert.True(steps < records, $"the query took {steps} steps to find 1 record among {records} newer ones: it reads every record");

        // A subject with a common action keeps to the subject's records, not every record of that action.
        var one = await app.GetJsonAsync("/v1/audit?subject=customer:c-0&action=consent.updated");
        Assert.Single(one.GetProperty("items").EnumerateArray());
        var subjectSteps = QuerySteps(app, new AuditQuery("customer:c-0", "consent.updated", null, 51, null));
        Assert.True(subjectSteps < records, $"the query took {subjectSteps} steps for 1 record of a subject: it walks every consent.updated record");
    }

    [Fact]
    public async Task AuditList_SinceARecentOrFutureTime_OrARareSubjectPrefix_DoesNotReadEveryRecord()
    {
        await using var app = await AgentCrmApp.StartAsync();
        const int records = 300;
        for (var i = 0; i < records; i++)
            Assert.True((await app.Client.PutAsync($"/v1/customers/c-{i}/consent", Variants.Json("""{"grants":[{"purpose":"*","categories":["usage"]}]}"""))).IsSuccessStatusCode);

        // The same answers as before: nothing since a future time, the newest records since a recent one, every key record.
        var future = DateTimeOffset.UtcNow.AddDays(1);
        Assert.Empty((await app.GetJsonAsync($"/v1/audit?since={Uri.EscapeDataString(future.ToString("O"))}")).GetProperty("items").EnumerateArray());
        var newest = (await app.GetJsonAsync("/v1/audit?limit=1")).GetProperty("items")[0];
        var recent = (await app.GetJsonAsync($"/v1/audit?since={Uri.EscapeDataString(newest.GetProperty("at").GetString()!)}")).GetProperty("items");
        Assert.Contains(recent.EnumerateArray(), r => r.GetProperty("seq").GetInt64() == newest.GetProperty("seq").GetInt64());
        Assert.All(recent.EnumerateArray(), r => Assert.True(r.GetProperty("at").GetDateTimeOffset() >= newest.GetProperty("at").GetDateTimeOffset()));
        var keys = (await app.GetJsonAsync("/v1/audit?subject=key:*")).GetProperty("items");
        Assert.Equal("key.created", Assert.Single(keys.EnumerateArray()).GetProperty("action").GetString());
        Assert.Equal(records, (await app.GetJsonAsync("/v1/audit?subject=customer:c-*&limit=500")).GetProperty("items").GetArrayLength());

        // Before, each walked the whole log newest first (some ten steps a record) to find the one record, or none.
        foreach (var (name, q) in new[]
        {
            ("since a future time", new AuditQuery(null, null, future, 51, null)),
            ("since the newest record", new AuditQuery(null, null, newest.GetProperty("at").GetDateTimeOffset(), 51, null)),
            ("subject key:*", new AuditQuery("key:*", null, null, 51, null)),
        })
        {
            var steps = QuerySteps(app, q);
            Assert.True(steps < records, $"{name}: the query took {steps} steps among {records} records: it reads every record");
        }
    }
}
