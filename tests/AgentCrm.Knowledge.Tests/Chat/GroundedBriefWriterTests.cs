using AgentCrm.Knowledge.Chat;

namespace AgentCrm.Knowledge.Tests.Chat;

public sealed class GroundedBriefWriterTests
{
    private static readonly BriefEvidence Evidence = new(
        "ACME", "renewal-risk", 0.82, 0.6,
        [("contract.daysToEnd", 41.0, "contract ends in 41 days"), ("usage.trend30d", -0.38, "usage down 38% in 30 days")],
        "Open the renewal conversation now.",
        [("Renewal playbook", "Renewal playbook › 1. Contract ending soon", "When a contract ends within 120 days, the renewal conversation must start now.")]);

    private static (GroundedBriefWriter Writer, OpenAiCompatibleChatClient Client) Writer(FakeChatServer server, TimeSpan? timeout = null, int retries = 1) =>
        Create(new ChatModelOptions { Endpoint = server.Endpoint.ToString(), ApiKey = "k-123", Timeout = timeout ?? TimeSpan.FromSeconds(30), MaxRetries = retries });

    private static (GroundedBriefWriter, OpenAiCompatibleChatClient) Create(ChatModelOptions options)
    {
        var client = new OpenAiCompatibleChatClient(new HttpClient(), options);
        return (new GroundedBriefWriter(client, Microsoft.Extensions.Logging.Abstractions.NullLogger<GroundedBriefWriter>.Instance), client);
    }

    [Fact]
    public async Task Write_GoodModel_ReturnsHeadlineAndBody_SendsTheEvidenceAndKey()
    {
        await using var server = await FakeChatServer.StartAsync();
        var (writer, _) = Writer(server);
        var brief = await writer.WriteAsync(Evidence);
        Assert.NotNull(brief);
        Assert.Equal("Renewal risk 0.82 for ACME: contract ends in 41 days.", brief.Headline);
        Assert.StartsWith("Why:", brief.Body, StringComparison.Ordinal);
        Assert.True(server.Requests.TryPeek(out var request));
        Assert.StartsWith("Bearer k-123", request, StringComparison.Ordinal);
        Assert.Contains("\"model\":\"gpt-4o-mini\"", request, StringComparison.Ordinal);
        Assert.Contains("contract ends in 41 days", request, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fail")]
    [InlineData("malformed")]
    [InlineData("ungrounded")]
    public async Task Write_BadModel_ReturnsNull_SoTheTemplateIsUsed(string mode)
    {
        await using var server = await FakeChatServer.StartAsync();
        server.Mode = mode;
        var (writer, _) = Writer(server);
        Assert.Null(await writer.WriteAsync(Evidence));
    }

    [Fact]
    public async Task Write_FailingModel_IsRetriedBeforeGivingUp()
    {
        await using var server = await FakeChatServer.StartAsync();
        server.Mode = "fail";
        var (writer, _) = Writer(server, retries: 2);
        Assert.Null(await writer.WriteAsync(Evidence));
        Assert.Equal(3, server.Calls);
    }

    [Fact]
    public async Task Write_SlowModel_TimesOut()
    {
        await using var server = await FakeChatServer.StartAsync();
        server.Mode = "slow";
        var (writer, _) = Writer(server, timeout: TimeSpan.FromMilliseconds(300), retries: 0);
        var started = DateTime.UtcNow;
        Assert.Null(await writer.WriteAsync(Evidence));
        // The model answers after 60 s; the 300 ms limit ends the call long before. 30 s tells them apart on a busy CI machine.
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "the timeout should cut the slow call short");
    }

    [Fact]
    public async Task Write_RepeatedOutage_OpensTheCircuit_AndStopsCallingTheModel()
    {
        await using var server = await FakeChatServer.StartAsync();
        server.Mode = "fail";
        var (writer, _) = Writer(server, retries: 0);
        for (var i = 0; i < 6; i++)
            Assert.Null(await writer.WriteAsync(Evidence));
        var callsWhenOpen = server.Calls;
        server.Mode = "good";
        Assert.Null(await writer.WriteAsync(Evidence));
        Assert.Equal(callsWhenOpen, server.Calls);
    }

    [Theory]
    [InlineData("Renewal risk 0.82 for ACME, ends in 41 days, usage down 38%", true)]
    [InlineData("Usage fell by 38 percent; see section 1.", true)]
    [InlineData("Renewal risk 0.82: they will churn in 14 days", false)]
    [InlineData("No numbers at all", true)]
    public void Grounded_ChecksEveryNumberAgainstTheEvidence(string text, bool expected)
    {
        const string evidence = """{"score":0.82,"reasons":[{"value":41,"explanation":"contract ends in 41 days"},{"value":-0.38}],"knowledge":[{"section":"1. Contract ending soon"}]}""";
        Assert.Equal(expected, GroundedBriefWriter.Grounded(text, evidence));
    }
}
