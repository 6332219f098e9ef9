using System.Net;
using System.Text.Json;
using AgentCrm.Audit;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Audit;

/// <summary>
/// POST /v1/audit/verify reads the whole log (seconds at millions of records): callers asking at once share one pass,
/// run off the request thread, instead of each starting their own.
/// </summary>
public sealed class AuditVerifySharingTests
{
    [Fact]
    public async Task Verify_CalledConcurrently_SharesOnePass_AndALaterCallRunsAFreshOne()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var audit = app.Services.GetRequiredService<AuditLog>();
        var writer = app.Services.GetRequiredService<SqliteWriter>();
        // A log long enough that a pass takes a while (tens of milliseconds), written the way the server writes its records.
        const int records = 30_000;
        await writer.WriteAsync(ctx =>
        {
            for (var i = 0; i < records; i++)
                audit.Append(ctx, "key:test", "consent.updated", $"customer:c-{i}", new Dictionary<string, object?> { ["i"] = i }, DateTimeOffset.UtcNow);
        });

        // A pass started while another runs is that pass: the second caller is handed the first one's task, not a new read.
        var first = audit.VerifyAsync();
        var second = audit.VerifyAsync();
        Assert.False(first.IsCompleted, "a pass of the whole log finished before its caller got its task back: it ran on the caller's thread");
        Assert.Same(first, second);

        // Over HTTP, callers at once all get the same whole answer.
        const int callers = 6;
        var answers = await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            using var response = await app.Client.PostAsync("/v1/audit/verify", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }));
        var shared = await first;
        Assert.True(shared.Ok, shared.ToString());
        Assert.True(shared.Records > records, shared.ToString());
        Assert.All(answers, a => Assert.True(a.GetProperty("ok").GetBoolean(), a.ToString()));
        Assert.All(answers, a => Assert.Equal(shared.Records, a.GetProperty("records").GetInt64()));
        var counted = shared.Records;

        // A call after the shared pass ended starts a new one, which counts what was written since.
        Assert.True((await app.Client.PutAsync("/v1/customers/c-late/consent", Reviews.Variants.Json("""{"grants":[{"purpose":"*","categories":["usage"]}]}"""))).IsSuccessStatusCode);
        var passes = audit.VerifyPasses;
        using var later = await app.Client.PostAsync("/v1/audit/verify", null);
        var answer = JsonDocument.Parse(await later.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(counted + 1, answer.GetProperty("records").GetInt64());
        Assert.Equal(passes + 1, audit.VerifyPasses);
    }
}
