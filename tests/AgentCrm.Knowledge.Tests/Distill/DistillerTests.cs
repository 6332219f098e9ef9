using AgentCrm.Knowledge.Distill;
using Microsoft.Extensions.AI;

namespace AgentCrm.Knowledge.Tests.Distill;

public sealed class DistillerTests
{
    private static readonly (string Id, string Text)[] Chunks =
    [
        ("doc#c0000", "The controller shall notify the supervisory authority of a personal data breach. Notification shall happen within 72 hours after becoming aware of it. The weather in Brussels was pleasant that week."),
        ("doc#c0001", "Where notification is late, the controller must give reasons for the delay. A personal data breach notification describes the nature of the breach and the data affected."),
    ];

    [Fact]
    public async Task DistillAsync_NoChatClient_ExtractiveSummaryWithLinkedObligations()
    {
        var unit = await new Distiller().DistillAsync("Article 33", Chunks);

        Assert.NotNull(unit);
        Assert.Equal(DistilledUnit.Extractive, unit.Method);
        Assert.InRange(unit.Summary.Count, 1, Distiller.SummarySentences);
        Assert.DoesNotContain(unit.Summary, s => s.Text.Contains("weather", StringComparison.Ordinal));
        Assert.Contains(unit.Obligations, o => o.Text.Contains("within 72 hours", StringComparison.Ordinal) && o.ChunkId == "doc#c0000");
        Assert.Contains(unit.Obligations, o => o.Text.Contains("must give reasons", StringComparison.Ordinal) && o.ChunkId == "doc#c0001");
        Assert.Contains(unit.SourceChunkId, Chunks.Select(c => c.Id));
    }

    [Fact]
    public async Task DistillAsync_SummarySentences_KeepOriginalOrder()
    {
        var unit = await new Distiller().DistillAsync("Article 33", Chunks);

        var all = string.Join(' ', Chunks.Select(c => c.Text));
        var positions = unit!.Summary.Select(s => all.IndexOf(s.Text, StringComparison.Ordinal)).ToList();
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public async Task DistillAsync_FailingChatClient_FallsBackToExtractive()
    {
        using var client = new StubChatClient(() => throw new HttpRequestException("503"));

        var unit = await new Distiller(client).DistillAsync("Article 33", Chunks);

        Assert.Equal(DistilledUnit.Extractive, unit!.Method);
    }

    [Fact]
    public async Task DistillAsync_WorkingChatClient_UsesModelSummary()
    {
        using var client = new StubChatClient(() => new ChatResponse(new ChatMessage(ChatRole.Assistant, "Breaches go to the authority within 72 hours.")));

        var unit = await new Distiller(client).DistillAsync("Article 33", Chunks);

        Assert.Equal(DistilledUnit.Llm, unit!.Method);
        Assert.Equal("Breaches go to the authority within 72 hours.", Assert.Single(unit.Summary).Text);
    }

    private sealed class StubChatClient(Func<ChatResponse> respond) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(respond());

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
