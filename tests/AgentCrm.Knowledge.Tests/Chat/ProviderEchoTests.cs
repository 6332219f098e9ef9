using AgentCrm.Knowledge.Chat;
using AgentCrm.Knowledge.Embeddings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace AgentCrm.Knowledge.Tests.Chat;

/// <summary>A provider whose error answer echoes the key it was sent: the key never reaches an exception message (nor the log).</summary>
public sealed class ProviderEchoTests
{
    private const string ChatKey = "CHATKEYSECRET-0123456789";
    private const string EmbeddingsKey = "EMBEDKEYSECRET-9876543210";

    /// <summary>Answers 401 quoting the Authorization header, then 600 characters more (as some gateways do).</summary>
    private static Task<(WebApplication App, Uri Address)> EchoingProviderAsync() =>
        LoopbackApp.StartAsync(app => app.MapPost("/v1/{**path}", (HttpContext ctx) =>
            Results.Json(new { error = new { message = $"Incorrect API key provided: {ctx.Request.Headers.Authorization}", detail = new string('x', 600) } }, statusCode: 401)));

    [Fact]
    public async Task GetResponse_AProviderEchoingTheKey_ItsMessageHidesTheKeyAndIsCut()
    {
        var (app, address) = await EchoingProviderAsync();
        await using var _ = app;
        var client = new OpenAiCompatibleChatClient(new HttpClient(), new ChatModelOptions { Endpoint = new Uri(address, "/v1").ToString(), ApiKey = ChatKey, MaxRetries = 0 });

        var ex = await Assert.ThrowsAsync<ChatModelException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]));

        Assert.DoesNotContain(ChatKey, ex.ToString(), StringComparison.Ordinal);
        Assert.Contains("Incorrect API key provided: Bearer [key not shown]", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Length < 300, ex.Message);
    }

    [Fact]
    public async Task Generate_AProviderEchoingTheKey_ItsMessageHidesTheKey()
    {
        var (app, address) = await EchoingProviderAsync();
        await using var _ = app;
        var generator = new HttpEmbeddingGenerator(new HttpClient(), new HttpEmbeddingOptions { Endpoint = new Uri(address, "/v1").ToString(), ApiKey = EmbeddingsKey, MaxRetries = 0 }, dimension: 4);

        var ex = await Assert.ThrowsAsync<EmbeddingServiceException>(() => generator.GenerateAsync(["a"]));

        Assert.DoesNotContain(EmbeddingsKey, ex.ToString(), StringComparison.Ordinal);
        Assert.Contains("Bearer [key not shown]", ex.Message, StringComparison.Ordinal);
    }
}
