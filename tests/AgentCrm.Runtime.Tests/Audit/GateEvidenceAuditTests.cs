using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Reviews;
using AgentCrm.Runtime.Tests.Sandbox;

namespace AgentCrm.Runtime.Tests.Audit;

/// <summary>
/// What a promotion rests on, in the log (qa29d): agent.evaluated said neither the case set, the report nor whether the gate
/// passed; an uploaded case file left no record; a rollback read as a retire and an activation without a reason.
/// </summary>
public sealed class GateEvidenceAuditTests
{
    [Fact]
    public async Task EvaluateOnAnUpload_AndRollback_AreAuditedWithTheirEvidence()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var ops = await app.ClientAsync("ops", "olga");
        await Variants.RegisterAsync(app, "1.0.2");
        var (ndjson, labels) = CaseFiles.Timeline(30, DateTimeOffset.UtcNow.AddDays(-1));
        var form = new MultipartFormDataContent();
        var cases = new StringContent(ndjson, Encoding.UTF8);
        cases.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        form.Add(cases, "cases", "cases.ndjson");
        form.Add(new StringContent(labels, Encoding.UTF8, "text/csv"), "labels", "labels.csv");
        using var start = await ops.PostAsync("/v1/agents/renewal-risk/versions/1.0.2/evaluate", form);
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        var job = await JobPolling.WaitAsync(app.Client, JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        var report = await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.0.2/reports/latest");
        var upload = report.GetProperty("caseSet").GetString()!;

        var added = Assert.Single((await app.GetJsonAsync($"/v1/audit?subject={Uri.EscapeDataString("caseset:" + upload)}")).GetProperty("items").EnumerateArray());
        Assert.Equal(("caseset.added", "key:olga"), (added.GetProperty("action").GetString(), added.GetProperty("actor").GetString()));
        Assert.Equal(report.GetProperty("caseSetHash").GetString(), added.GetProperty("data").GetProperty("hash").GetString());

        var evidence = Assert.Single((await app.GetJsonAsync("/v1/audit?action=report.created")).GetProperty("items").EnumerateArray());
        var data = evidence.GetProperty("data");
        Assert.Equal("key:olga", evidence.GetProperty("actor").GetString());
        Assert.StartsWith("report:rep_", evidence.GetProperty("subject").GetString(), StringComparison.Ordinal);
        Assert.Equal(("renewal-risk", "1.0.2"), (data.GetProperty("agentId").GetString(), data.GetProperty("agentVersion").GetString()));
        Assert.Equal(upload, data.GetProperty("caseSet").GetString());
        Assert.Equal(report.GetProperty("passed").GetBoolean(), data.GetProperty("passed").GetBoolean());
        Assert.Equal(report.GetProperty("unmet").GetArrayLength(), data.GetProperty("unmet").GetArrayLength());

        // Promoted on the shipped set, then rolled back: both transitions say it was a rollback, and of what.
        await app.EvaluateAndPromoteAsync("renewal-risk", "1.0.2");
        Assert.Equal(HttpStatusCode.OK, (await ops.PostAsync("/v1/agents/renewal-risk/rollback", null)).StatusCode);
        var retired = (await app.GetJsonAsync("/v1/audit?subject=agent:renewal-risk@1.0.2&action=agent.retired")).GetProperty("items")[0];
        var reactivated = (await app.GetJsonAsync("/v1/audit?subject=agent:renewal-risk@1.0.1&action=agent.active")).GetProperty("items")[0];
        foreach (var record in new[] { retired, reactivated })
            Assert.Equal("rollback: 1.0.2 rolled back to 1.0.1", record.GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal(2, (await app.GetJsonAsync("/v1/audit?action=report.created")).GetProperty("items").GetArrayLength());
    }
}
