using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Knowledge.Http;
using Microsoft.Extensions.AI;
using Polly;
using Polly.Retry;

namespace AgentCrm.Knowledge.Embeddings;

/// <summary>An embeddings answer we cannot use (status, shape or dimension).</summary>
public sealed class EmbeddingServiceException(string message, Exception? inner = null, System.Net.HttpStatusCode? statusCode = null) : Exception(message, inner)
{
    /// <summary>The endpoint's HTTP status when it answered with an error; null when its answer was unusable (shape, dimension).</summary>
    public System.Net.HttpStatusCode? StatusCode { get; } = statusCode;
}

/// <summary>
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over an OpenAI-compatible <c>POST {endpoint}/embeddings</c>,
/// with a timeout per attempt and retries on 429/5xx/timeouts (Polly). Vectors are checked against the store's
/// dimension (Knowledge:Dimension) and L2-normalised, so cosine scores mean the same as with the local embedder.
/// </summary>
public sealed class HttpEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly HttpClient _http;
    private readonly HttpEmbeddingOptions _options;
    private readonly int _dimension;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public HttpEmbeddingGenerator(HttpClient http, HttpEmbeddingOptions options, int dimension)
    {
        _http = http;
        _options = options;
        _dimension = dimension;
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (options.MaxRetries > 0)
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = TimeSpan.FromMilliseconds(200),
                BackoffType = DelayBackoffType.Exponential,
                ShouldHandle = args => new ValueTask<bool>(OpenAiCompatibleHttp.IsTransient(args.Outcome)),
            });
        _pipeline = builder.AddTimeout(options.Timeout).Build();
    }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var inputs = values.ToList();
        var body = new JsonObject { ["model"] = _options.Model, ["input"] = new JsonArray(inputs.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()) };
        var (status, text) = await OpenAiCompatibleHttp.PostAsync(_http, _pipeline, _options.Endpoint!, "embeddings", _options.ApiKey, body, cancellationToken);
        if ((int)status is < 200 or > 299)
            throw new EmbeddingServiceException($"The embeddings endpoint answered {(int)status}: {OpenAiCompatibleHttp.Quoted(text, _options.ApiKey)}", statusCode: status);
        var vectors = new float[inputs.Count][];
        try
        {
            using var doc = JsonDocument.Parse(text);
            foreach (var item in doc.RootElement.GetProperty("data").EnumerateArray())
            {
                var index = item.TryGetProperty("index", out var i) ? i.GetInt32() : Array.IndexOf(vectors, null);
                var vector = item.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
                if (vector.Length != _dimension)
                    throw new EmbeddingServiceException($"The embeddings endpoint returned {vector.Length} dimensions; Knowledge:Dimension is {_dimension}.");
                var norm = TensorPrimitives.Norm(vector);
                if (norm > 0)
                    TensorPrimitives.Divide(vector, norm, vector);
                vectors[index] = vector;
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or FormatException)
        {
            throw new EmbeddingServiceException("The embeddings endpoint's answer is not an embeddings list.", ex);
        }
        if (vectors.Any(v => v is null))
            throw new EmbeddingServiceException($"The embeddings endpoint returned fewer vectors than the {inputs.Count} inputs.");
        return new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v!) { ModelId = _options.Model }));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
