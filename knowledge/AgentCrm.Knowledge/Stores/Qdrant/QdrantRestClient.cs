using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace AgentCrm.Knowledge.Stores.Qdrant;

/// <summary>A Qdrant answer: the HTTP status and the envelope's <c>result</c> (undefined when absent or tolerated).</summary>
internal readonly record struct QdrantReply(HttpStatusCode StatusCode, JsonElement Result);

/// <summary>
/// Qdrant's REST envelope over <see cref="HttpClient"/>: JSON bodies, the <c>api-key</c> header, a Polly pipeline
/// (timeout per attempt inside retries on 408/429/5xx/network errors/timeouts) and errors carrying Qdrant's text.
/// </summary>
internal sealed class QdrantRestClient
{
    private const int MaxErrorTextLength = 1000;
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly QdrantOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Uri _baseUri;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public QdrantRestClient(IHttpClientFactory httpClientFactory, QdrantOptions options, ILogger logger, TimeProvider timeProvider, QdrantRetry retry)
    {
        _httpClientFactory = httpClientFactory;
        _options = options;
        _logger = logger;
        _timeProvider = timeProvider;
        // A trailing slash keeps a proxy path prefix (http://host/qdrant) when relative paths are resolved.
        var url = options.Url ?? throw new ArgumentException($"{QdrantOptions.Section}:Url is not set.", nameof(options));
        _baseUri = new Uri(url.EndsWith('/') ? url : url + "/", UriKind.Absolute);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider };
        if (retry.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = retry.MaxRetries,
                Delay = retry.BaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => new(IsTransient(args.Outcome, args.Context.CancellationToken)),
                DelayGenerator = args => new(RetryAfter(args.Outcome)),
                OnRetry = args =>
                {
                    _logger.Retrying(args.Context.OperationKey ?? "request", args.AttemptNumber + 1, Describe(args.Outcome), args.RetryDelay.TotalSeconds);
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }
        _pipeline = builder.AddTimeout(options.Timeout).Build();
    }

    public static string Escape(string segment) => Uri.EscapeDataString(segment);

    /// <summary>
    /// Sends one operation and unwraps the envelope. Non-2xx answers throw <see cref="QdrantException"/> unless
    /// their status is in <paramref name="tolerated"/> (e.g. 404 on a collection lookup), which the caller then handles.
    /// </summary>
    public async Task<QdrantReply> SendAsync(
        string operation,
        HttpMethod method,
        string path,
        Action<Utf8JsonWriter>? writeBody,
        CancellationToken cancellationToken,
        params HttpStatusCode[] tolerated)
    {
        var body = writeBody is null ? null : Serialize(writeBody);
        var attempts = 0;
        var context = ResilienceContextPool.Shared.Get(operation, cancellationToken);
        HttpResponseMessage response;
        try
        {
            response = await _pipeline.ExecuteAsync(async (ctx, state) =>
            {
                attempts++;
                using var request = CreateRequest(method, path, state);
                return await _httpClientFactory.CreateClient(QdrantKnowledgeStore.HttpClientName)
                    .SendAsync(request, HttpCompletionOption.ResponseContentRead, ctx.CancellationToken);
            }, context, body);
        }
        catch (Exception ex) when (IsTransientException(ex, cancellationToken))
        {
            var reason = ex is TimeoutRejectedException ? $"no answer within {_options.Timeout.TotalSeconds:0.###}s" : ex.Message;
            throw new QdrantException($"Qdrant {operation} failed after {attempts} attempt(s) at {_baseUri}: {reason}", innerException: ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (tolerated.Contains(response.StatusCode))
                return new QdrantReply(response.StatusCode, default);
            if (!response.IsSuccessStatusCode)
                throw Failure(operation, response.StatusCode, text, attempts);
            return Unwrap(operation, response.StatusCode, text);
        }
    }

    /// <summary>GET <c>/healthz</c>, once, within the per-attempt timeout: health checks should be quick and honest.</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.Timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = CreateRequest(HttpMethod.Get, "healthz", null);
        using var response = await _httpClientFactory.CreateClient(QdrantKnowledgeStore.HttpClientName).SendAsync(request, linked.Token);
        return response.IsSuccessStatusCode;
    }

    private HttpRequestMessage CreateRequest(HttpMethod method, string path, byte[]? body)
    {
        var request = new HttpRequestMessage(method, new Uri(_baseUri, path));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!string.IsNullOrEmpty(_options.ApiKey))
            request.Headers.Add("api-key", _options.ApiKey);
        if (body is not null)
            request.Content = new ByteArrayContent(body) { Headers = { ContentType = Json } };
        return request;
    }

    private static byte[] Serialize(Action<Utf8JsonWriter> writeBody)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
            writeBody(writer);
        return buffer.WrittenSpan.ToArray();
    }

    private QdrantReply Unwrap(string operation, HttpStatusCode statusCode, string text)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(text);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new QdrantException($"Qdrant {operation} answered HTTP {(int)statusCode} with a body that is not JSON: {Truncate(text)}", statusCode, innerException: ex);
        }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("status", out var status))
            throw new QdrantException($"Qdrant {operation} answered HTTP {(int)statusCode} without the status envelope: {Truncate(text)}", statusCode);
        if (status.ValueKind != JsonValueKind.String || status.GetString() != "ok")
            throw new QdrantException($"Qdrant {operation} answered HTTP {(int)statusCode} with status {status.GetRawText()}, not \"ok\"", statusCode, ErrorText(root));
        double? time = root.TryGetProperty("time", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : null;
        _logger.Answered(operation, statusCode, time);
        return new QdrantReply(statusCode, root.TryGetProperty("result", out var result) ? result : default);
    }

    private QdrantException Failure(string operation, HttpStatusCode statusCode, string text, int attempts)
    {
        string? error = null;
        try
        {
            using var document = JsonDocument.Parse(text);
            error = ErrorText(document.RootElement);
        }
        catch (JsonException)
        {
            // 401/403 come back as plain text, not the JSON envelope.
        }
        error ??= string.IsNullOrWhiteSpace(text) ? null : Truncate(text.Trim());
        var retried = attempts > 1 ? $" after {attempts} attempts" : "";
        return new QdrantException(
            $"Qdrant {operation} failed{retried}: HTTP {(int)statusCode} ({statusCode}): {error ?? "(no error text)"}",
            statusCode,
            error);
    }

    private static string? ErrorText(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Object
            && s.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String
            ? e.GetString()
            : null;

    private static string Truncate(string text) => text.Length <= MaxErrorTextLength ? text : text[..MaxErrorTextLength] + "…";

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome, CancellationToken cancellationToken) => outcome switch
    {
        { Exception: { } ex } => IsTransientException(ex, cancellationToken),
        { Result: { } r } => r.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500,
        _ => false,
    };

    // A TaskCanceledException the caller did not ask for is HttpClient's own timeout.
    private static bool IsTransientException(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException or TimeoutRejectedException
        || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested);

    private TimeSpan? RetryAfter(Outcome<HttpResponseMessage> outcome)
    {
        var retryAfter = outcome.Result?.Headers.RetryAfter;
        var delay = retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - _timeProvider.GetUtcNow() : null);
        if (delay is not { } d)
            return null;
        return d < TimeSpan.Zero ? TimeSpan.Zero : d > QdrantRetry.MaxRetryAfter ? QdrantRetry.MaxRetryAfter : d;
    }

    private static string Describe(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is { } ex ? ex.GetType().Name + ": " + ex.Message : $"HTTP {(int)outcome.Result!.StatusCode}";
}
