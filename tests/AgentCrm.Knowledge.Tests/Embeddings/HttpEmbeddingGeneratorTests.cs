using System.Collections.Concurrent;
using AgentCrm.Knowledge.Embeddings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AgentCrm.Knowledge.Tests.Embeddings;

public sealed class HttpEmbeddingGeneratorTests
{
    /// <summary>A local OpenAI-compatible /v1/embeddings server: the first <paramref name="failures"/> calls answer 503.</summary>
    private static async Task<(WebApplication App, Uri Endpoint, ConcurrentQueue<string> Requests)> StartAsync(int failures, int dimension)
    {
        var requests = new ConcurrentQueue<string>();
        var (app, address) = await LoopbackApp.StartAsync(app => app.MapPost("/v1/embeddings", async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            requests.Enqueue(ctx.Request.Headers.Authorization + "\n" + await reader.ReadToEndAsync());
            if (requests.Count <= failures)
                return Results.Json(new { error = "busy" }, statusCode: 503);
            // Two inputs, answered out of order, unnormalised: index 1 first.
            return Results.Json(new
            {
                data = new object[]
                {
                    new { index = 1, embedding = Enumerable.Repeat(2f, dimension) },
                    new { index = 0, embedding = Enumerable.Range(0, dimension).Select(i => i == 0 ? 3f : 0f) },
                },
            });
        }));
        return (app, new Uri(address, "/v1"), requests);
    }

    [Fact]
    public async Task Generate_RetriesTransientFailures_OrdersByIndex_AndNormalises()
    {
        var (app, endpoint, requests) = await StartAsync(failures: 2, dimension: 4);
        await using var _ = app;
        var generator = new HttpEmbeddingGenerator(new HttpClient(), new HttpEmbeddingOptions { Endpoint = endpoint.ToString(), ApiKey = "e-1", MaxRetries = 3 }, dimension: 4);
        var result = await generator.GenerateAsync(["first", "second"]);
        Assert.Equal(3, requests.Count);
        Assert.Equal([1f, 0f, 0f, 0f], result[0].Vector.ToArray());
        Assert.All(result[1].Vector.ToArray(), v => Assert.Equal(0.5f, v, 5));
        Assert.True(requests.TryPeek(out var first));
        Assert.StartsWith("Bearer e-1", first, StringComparison.Ordinal);
        Assert.Contains("\"input\":[\"first\",\"second\"]", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_WrongDimensionOrPersistentFailure_IsAClearError()
    {
        var (app, endpoint, _) = await StartAsync(failures: 0, dimension: 8);
        await using (app)
        {
            var generator = new HttpEmbeddingGenerator(new HttpClient(), new HttpEmbeddingOptions { Endpoint = endpoint.ToString() }, dimension: 4);
            var ex = await Assert.ThrowsAsync<EmbeddingServiceException>(() => generator.GenerateAsync(["a", "b"]));
            Assert.Contains("Knowledge:Dimension is 4", ex.Message, StringComparison.Ordinal);
        }
        var (down, endpoint2, requests) = await StartAsync(failures: 100, dimension: 4);
        await using (down)
        {
            var generator = new HttpEmbeddingGenerator(new HttpClient(), new HttpEmbeddingOptions { Endpoint = endpoint2.ToString(), MaxRetries = 1 }, dimension: 4);
            var ex = await Assert.ThrowsAsync<EmbeddingServiceException>(() => generator.GenerateAsync(["a"]));
            Assert.Contains("503", ex.Message, StringComparison.Ordinal);
            Assert.Equal(2, requests.Count);
        }
    }
}
