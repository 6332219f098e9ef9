using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Plugins;

/// <summary>What a plugin's answer may claim, through real HTTP: refused answers are errors of the call, live and in the sandbox.</summary>
public sealed class PluginAnswerTests
{
    private static readonly string PluginPath = Path.Combine(AppContext.BaseDirectory, "plugins", "AgentCrm.SamplePlugin.dll");

    private static string Misbehaving(string id, string mode) => $$$"""
        {"id":"{{{id}}}","version":"1.0.0","kind":"plugin","scenario":"test","subscribes":["support_ticket","nps"],
         "reads":["tickets.open"],"purpose":"customer-success","threshold":0.5,
         "parameters":{"kind":"misbehaving","mode":"{{{mode}}}"}}
        """;

    private static async Task UploadAsync(AgentCrmApp app, string id, string mode, bool shadow = true)
    {
        using var form = new MultipartFormDataContent();
        var dll = new ByteArrayContent(File.ReadAllBytes(PluginPath));
        dll.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(dll, "assembly", "AgentCrm.SamplePlugin.dll");
        form.Add(new StringContent(Misbehaving(id, mode), Encoding.UTF8, "application/json"), "manifest", "manifest.json");
        using var response = await app.Client.PostAsync("/v1/agents/plugins", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        if (shadow)
            Assert.Equal(HttpStatusCode.OK, (await app.Client.PostAsync($"/v1/agents/{id}/versions/1.0.0/shadow", null)).StatusCode);
    }

    [Fact]
    public async Task Assess_RefusedAnswers_AreErrorsInHealth_NoBrief()
    {
        var logs = new AgentCrm.Runtime.Tests.Intake.CapturedLogs();
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.AddSingleton(logs.Provider()));
        var modes = new[] { ("low-fire", "lowfire"), ("null-reason", "nullreason"), ("empty-reason", "emptyreason") };
        foreach (var (id, mode) in modes)
            await UploadAsync(app, id, mode);

        await app.PostEventsAsync(Timelines.AtRisk("refused", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();

        // Two tickets and one NPS reach each: three refused answers, no assessment, no brief.
        foreach (var (id, _) in modes)
        {
            var v = (await app.GetJsonAsync($"/v1/agents/{id}/health")).GetProperty("versions")[0];
            Assert.Equal((3, 0), (v.GetProperty("errors").GetInt64(), v.GetProperty("evaluations").GetInt64()));
            Assert.Empty(await app.BriefsAsync($"&status=shadow&agentId={id}"));
        }
        string Logged(string id) => Assert.Single(logs.Entries, e => e.Message.StartsWith($"Agent {id}@1.0.0 failed", StringComparison.Ordinal)).Exception!.Message;
        Assert.Equal("low-fire@1.0.0 fired with the score 0.1, below its threshold 0.5: an answer fires only when its score reaches the threshold.", Logged("low-fire"));
        Assert.Equal("null-reason@1.0.0 returned no reason at reasons[1] (null).", Logged("null-reason"));
        Assert.Equal("empty-reason@1.0.0 returned a reason naming no field at reasons[0].", Logged("empty-reason"));
    }

    [Fact]
    public async Task Evaluate_FiredBelowTheThreshold_IsAnErroredCase_NotAPositive()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (ndjson, labels) = CaseFiles.Timeline(240, DateTimeOffset.UtcNow.AddDays(-1));
        var added = await app.Client.PostAsync("/v1/cases/hand-timeline", CaseFiles.Upload(ndjson, labels));
        Assert.True(added.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await added.Content.ReadAsStringAsync());
        await UploadAsync(app, "low-fire", "lowfire", shadow: false);

        var report = await app.EvaluateAsync("low-fire", "1.0.0", "hand-timeline");

        Assert.Equal(report.GetProperty("cases").GetInt32(), report.GetProperty("errors").GetInt32());
        Assert.Equal(0, report.GetProperty("confusion").GetProperty("truePositives").GetInt32() + report.GetProperty("confusion").GetProperty("falsePositives").GetInt32());
        Assert.Contains("fired with the score 0.1, below its threshold 0.5", report.GetProperty("erroredCases")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.False(report.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task Assess_AFieldAddedToTheSnapshot_OrAnotherCustomersEvent_IsNotRecordedAsEvidence()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await UploadAsync(app, "adds-field", "addfield");
        await UploadAsync(app, "cites-foreign", "foreign");
        await app.PostEventsAsync(Timelines.AtRisk("evidence", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();

        foreach (var id in new[] { "adds-field", "cites-foreign" })
        {
            var briefs = await app.BriefsAsync($"&status=shadow&agentId={id}");
            Assert.NotEmpty(briefs);
            foreach (var brief in briefs)
            {
                Assert.Equal(["tickets.open"], brief.GetProperty("inputs").EnumerateObject().Select(p => p.Name));
                var evidence = await app.GetJsonAsync($"/v1/briefs/{brief.GetProperty("id").GetString()}/evidence");
                Assert.Equal(["tickets.open"], evidence.GetProperty("snapshotFields").EnumerateObject().Select(p => p.Name));
                var cited = evidence.GetProperty("reasons").EnumerateArray().SelectMany(r => r.GetProperty("eventIds").EnumerateArray()).Select(e => e.GetString()).ToList();
                Assert.NotEmpty(cited);
                Assert.DoesNotContain("someone-elses-event", cited);
                Assert.DoesNotContain(evidence.GetProperty("events").EnumerateArray(), e => e.GetProperty("id").GetString() == "someone-elses-event");
            }
        }
    }
}
