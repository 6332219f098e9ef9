using System.Net;
using AgentCrm.Runtime.Tests.Intake;
using AgentCrm.Runtime.Tests.Server;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// A chat model endpoint that is down degrades every brief to the template: the log says so, once per interval with the
/// count since (it used to say nothing; only the degraded-briefs counter moved).
/// </summary>
public sealed class ChatModelFailureLogTests
{
    private const string ChoiceOfLawTerms =
        "Welcome to Acme Cloud. These terms govern your use of the service. " +
        "These terms shall be governed by and construed in accordance with the laws of the State of California, without regard to its conflict of law provisions. " +
        "We hope you enjoy the service.";

    [Fact]
    public async Task AChatModelThatIsDown_IsLoggedOncePerInterval_WhileEveryBriefIsDegraded()
    {
        var logs = new CapturedLogs();
        await using var app = await AgentCrmApp.StartAsync(
            settings: new Dictionary<string, string?> { ["Models:Chat:Endpoint"] = $"http://127.0.0.1:{ServeProcess.FreePort()}/v1", ["Models:Chat:MaxRetries"] = "0" },
            configure: s => s.AddSingleton(logs.Provider()));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var events = Enumerable.Range(0, 12).Select(i => Ev.Make($"chat-{i}", "document", now, new { docType = "terms", text = ChoiceOfLawTerms })).ToList();
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();

        var briefs = await app.BriefsAsync("&agentId=compliance-check");
        Assert.Equal(12, briefs.Count);
        Assert.All(briefs, b => Assert.True(b.GetProperty("degraded").GetBoolean()));
        var warned = logs.Entries.Where(e => e.Category.EndsWith("GroundedBriefWriter", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(warned);
        Assert.StartsWith("The chat model failed on a compliance-check brief", line.Message, StringComparison.Ordinal);
        Assert.NotNull(line.Exception);
    }
}
