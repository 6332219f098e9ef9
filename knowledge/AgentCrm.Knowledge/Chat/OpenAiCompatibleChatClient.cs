using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Knowledge.Http;
using Microsoft.Extensions.AI;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace AgentCrm.Knowledge.Chat;

/// <summary>A model answer we cannot use (malformed JSON, no choices, empty text).</summary>
public sealed class ChatModelException(string message, Exception? inner = null, System.Net.HttpStatusCode? statusCode = null) : Exception(message, inner)
{
    /// <summary>The endpoint's HTTP status when it answered with an error; null when its answer was unusable.</summary>
    public System.Net.HttpStatusCode? StatusCode { get; } = statusCode;
}

/// <summary>
/// <see cref="IChatClient"/> over an OpenAI-compatible <c>POST {endpoint}/chat/completions</c> (the
/// Microsoft.Extensions.AI OpenAI package does not restore here). Every call runs through a Polly pipeline:
/// a timeout per attempt, retries with backoff on 429/5xx/timeouts/network errors, and a circuit breaker
/// so an outage costs one fast failure per brief instead of a timeout each.
/// </summary>
public sealed class OpenAiCompatibleChatClient : IChatClient
{
    private readonly HttpClient _http;
    private readonly ChatModelOptions _options;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public OpenAiCompatibleChatClient(HttpClient http, ChatModelOptions options, TimeProvider? time = null)
    {
        _http = http;
        _options = options;
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time ?? TimeProvider.System }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = options.BreakDuration,
                ShouldHandle = Transient,
            })
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Math.Max(1, options.MaxRetries),
                Delay = TimeSpan.FromMilliseconds(200),
                BackoffType = DelayBackoffType.Exponential,
                ShouldHandle = args => options.MaxRetries == 0 ? PredicateResult.False() : Transient(args.Outcome),
            })
            .AddTimeout(options.Timeout)
            .Build();
    }

    private static ValueTask<bool> Transient(Outcome<HttpResponseMessage> outcome) => new(OpenAiCompatibleHttp.IsTransient(outcome));

    private static ValueTask<bool> Transient(CircuitBreakerPredicateArguments<HttpResponseMessage> args) => Transient(args.Outcome);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["model"] = options?.ModelId ?? _options.Model,
            ["messages"] = new JsonArray(messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role.Value, ["content"] = m.Text }).ToArray()),
            ["temperature"] = options?.Temperature ?? 0,
        };
        if (options?.MaxOutputTokens is { } max)
            body["max_tokens"] = max;
        var (status, text) = await OpenAiCompatibleHttp.PostAsync(_http, _pipeline, _options.Endpoint!, "chat/completions", _options.ApiKey, body, cancellationToken);
        if ((int)status is < 200 or > 299)
            throw new ChatModelException($"The chat model answered {(int)status}: {Shorten(text)}", statusCode: status);
        try
        {
            using var doc = JsonDocument.Parse(text);
            var content = doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
            if (string.IsNullOrWhiteSpace(content))
                throw new ChatModelException("The chat model returned an empty message.");
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, content)) { ModelId = _options.Model };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or IndexOutOfRangeException or InvalidOperationException)
        {
            throw new ChatModelException($"The chat model's answer is not a chat completion: {Shorten(text)}", ex);
        }
    }

    /// <summary>No token streaming: the whole answer arrives as one update.</summary>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        yield return new ChatResponseUpdate(ChatRole.Assistant, response.Text);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private string Shorten(string s) => OpenAiCompatibleHttp.Quoted(s, _options.ApiKey);
}
