using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using AgentCrm.Storage;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace AgentCrm.Dapr;

/// <summary>daprd's answer to an actor method call: status, body and whether the app flagged it as its own error.</summary>
public sealed record DaprInvokeResponse(HttpStatusCode Status, byte[] Body, string? ContentType, bool IsAppError);

/// <summary>
/// The app's calls to daprd's HTTP API (protocol sheet ../shared/protocols/dapr-actors.md §3), over plain HttpClient: actor state get and
/// transaction, reminders and timers, actor invocation, pub/sub publish, and waiting for the sidecar.
/// Transient failures (connection refused, a connection dropped, 408, 429, 502, 503, 504, HttpClient's timeout, the actor not
/// placed yet) are retried with exponential backoff, all within <see cref="DaprOptions.RequestTimeout"/>. An actor method call is retried only where
/// it cannot run twice (<see cref="CallRetry"/>): a method its type declares repeatable is sent again after a dropped connection,
/// 429, 502 or 503 (not after a timeout, 408 or 504: its turn may still be running); any other method only when it provably
/// never left (the connection to daprd was never made), daprd answered 429, or it answered that the actor is not placed yet
/// (<see cref="DaprApiException.NotPlaced"/>: it ran nothing). Any other non-success throws
/// <see cref="DaprApiException"/> carrying daprd's errorCode.
/// </summary>
public sealed partial class DaprSidecarClient
{
    /// <summary>Response header an app sets on a 200 to say "this is my error payload" (sheet §2.3); daprd relays it.</summary>
    public const string ErrorResponseHeader = "X-DaprErrorResponseHeader";
    public const string ApiTokenHeader = "dapr-api-token";
    internal static readonly MediaTypeHeaderValue Json = new("application/json");

    /// <summary>What failures of a call may be sent again (<see cref="CallRetry"/>).</summary>
    private static readonly ResiliencePropertyKey<CallRetry> Retry = new("agentcrm.dapr.retry");

    /// <summary>Which failed attempts of a call are sent again.</summary>
    private enum CallRetry
    {
        /// <summary>daprd's own API (state, reminders, timers, publish): repeating a call repeats its effect harmlessly; every transient failure.</summary>
        Any,

        /// <summary>
        /// An actor method its type declares repeatable (<see cref="ActorTypeInfo.Repeatable"/>): a dropped connection, 429, 502,
        /// 503; not a timeout, 408 or 504 (the turn may still be running, and the retry would queue behind it).
        /// </summary>
        RepeatableMethod,

        /// <summary>
        /// Any other actor method: sent again only when it provably did not reach daprd (no connection could be made) or daprd
        /// refused it unrun (429). A connection dropped once the request was sent, a 502 or 503 may follow a turn that ran.
        /// </summary>
        MethodOnce,
    }

    private readonly HttpClient _http;
    private readonly DaprOptions _options;
    private readonly ILogger _logger;
    private readonly LogThrottle _retryLog;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly Lock _readyGate = new();
    private Task? _sidecarReady;

    public DaprSidecarClient(HttpClient http, DaprOptions options, ILogger<DaprSidecarClient> logger, TimeProvider? time = null)
    {
        _http = http;
        _options = options;
        _logger = logger;
        Time = time ?? TimeProvider.System;
        _retryLog = new LogThrottle(TimeSpan.FromSeconds(10), Time);
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = Time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Math.Max(1, options.MaxRetries),
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => options.MaxRetries > 0 ? IsTransientAsync(args.Outcome, args.Context) : ValueTask.FromResult(false),
                OnRetry = args =>
                {
                    // A sidecar that is down fails every call the same way: one line per reason and interval, not one per retry.
                    var reason = args.Outcome.Exception?.Message ?? $"status {(int)args.Outcome.Result!.StatusCode}";
                    if (_retryLog.ShouldLog(reason, out var unlogged))
                        LogRetry(reason, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, unlogged, _retryLog.Interval.TotalSeconds);
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    internal TimeProvider Time { get; }

    /// <summary>
    /// Completes once daprd's outbound health answered 2xx. Polled once per process; a wait that timed out
    /// (Dapr:SidecarWaitTimeout) fails its callers and the next caller starts a new one.
    /// </summary>
    public Task SidecarReady
    {
        get
        {
            lock (_readyGate)
            {
                if (_sidecarReady is null || _sidecarReady.IsFaulted)
                    _sidecarReady = WaitForSidecarAsync(_options.SidecarWaitTimeout, CancellationToken.None);
                return _sidecarReady;
            }
        }
    }

    /// <summary>Polls <c>GET /v1.0/healthz/outbound</c> until daprd answers 2xx: its components are up and it can serve our calls.</summary>
    public async Task WaitForSidecarAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Time.GetTimestamp();
        string last = "no answer yet";
        while (true)
        {
            // Each poll bounded too: the client's HttpClient sets no timeout of its own (Dapr:RequestTimeout bounds the calls).
            using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            poll.CancelAfter(timeout < _options.RequestTimeout ? timeout : _options.RequestTimeout);
            try
            {
                using var request = NewRequest(HttpMethod.Get, "v1.0/healthz/outbound");
                using var response = await _http.SendAsync(request, poll.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                    return;
                last = $"status {(int)response.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "no answer";
            }
            if (Time.GetElapsedTime(started) >= timeout)
                throw new DaprApiException($"daprd at {_options.HttpEndpoint} was not ready within {timeout} (Dapr:SidecarWaitTimeout); last answer to GET /v1.0/healthz/outbound: {last}. Is the app running under `dapr run`?");
            await Task.Delay(TimeSpan.FromMilliseconds(100), Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary><c>GET /v1.0/actors/{type}/{id}/state/{key}</c>: the stored JSON bytes, or null on 204 (no such key).</summary>
    public async Task<byte[]?> GetStateAsync(ActorId actor, string key, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => NewRequest(HttpMethod.Get, ActorPath(actor, "state", key)), "get actor state", cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NoContent)
            return null;
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return body.Length == 0 ? null : body;
    }

    /// <summary><c>POST /v1.0/actors/{type}/{id}/state</c> with the turn's upserts and deletes as one transaction (204).</summary>
    public async Task SaveStateAsync(ActorId actor, IReadOnlyList<StateChange> changes, CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
            return;
        var body = TransactionBody(changes);
        using var _ = await SendAsync(() => NewRequest(HttpMethod.Post, ActorPath(actor, "state"), body), "save actor state", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The transaction's operations, each value as the state manager wrote it: parsed and written again with the default
    /// encoder, a Cyrillic contract's 400 KB of UTF-8 went to daprd as 1.2 MB of <c>\uXXXX</c>, past its body limit.
    /// </summary>
    private static byte[] TransactionBody(IReadOnlyList<StateChange> changes)
    {
        var body = new ArrayBufferWriter<byte>(changes.Sum(c => c.Value?.Length ?? 0) + 64 * changes.Count + 2);
        using (var writer = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = ActorStateManager.Json.Encoder }))
        {
            writer.WriteStartArray();
            foreach (var change in changes)
            {
                writer.WriteStartObject();
                writer.WriteString("operation", change.Value is null ? "delete" : "upsert");
                writer.WriteStartObject("request");
                writer.WriteString("key", change.Key);
                if (change.Value is { } value)
                {
                    writer.WritePropertyName("value");
                    writer.WriteRawValue(value.Span);
                }
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return body.WrittenSpan.ToArray();
    }

    /// <summary><c>POST /v1.0/actors/{type}/{id}/reminders/{name}</c>; a null period fires once. Days are sent as hours (Scheduler rejects ISO days).</summary>
    public Task RegisterReminderAsync(ActorId actor, string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data, CancellationToken cancellationToken) =>
        PostScheduleAsync(actor, "reminders", name, ScheduleBody(dueTime, period, data, callback: null), "create reminder", cancellationToken);

    /// <summary><c>DELETE /v1.0/actors/{type}/{id}/reminders/{name}</c> (204, also when absent).</summary>
    public async Task UnregisterReminderAsync(ActorId actor, string name, CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(() => NewRequest(HttpMethod.Delete, ActorPath(actor, "reminders", name)), "delete reminder", cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /v1.0/actors/{type}/{id}/timers/{name}</c>: in memory in the hosting sidecar, gone with the activation.</summary>
    public Task RegisterTimerAsync(ActorId actor, string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data, CancellationToken cancellationToken) =>
        PostScheduleAsync(actor, "timers", name, ScheduleBody(dueTime, period, data, callback: null), "create timer", cancellationToken);

    public async Task UnregisterTimerAsync(ActorId actor, string name, CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(() => NewRequest(HttpMethod.Delete, ActorPath(actor, "timers", name)), "delete timer", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>POST /v1.0/actors/{type}/{id}/method/{method}</c> with a JSON body. daprd routes it to the
    /// hosting app; a 200 carrying <see cref="ErrorResponseHeader"/> is the app's own error payload.
    /// <paramref name="repeatable"/>: running the method twice does what running it once does (a read, or a call the actor
    /// dedupes), so an attempt whose connection dropped after it was sent may be sent again; otherwise it is not (<see cref="CallRetry"/>).
    /// </summary>
    public async Task<DaprInvokeResponse> InvokeActorMethodAsync(ActorId actor, string method, byte[] body, CancellationToken cancellationToken, bool repeatable = false)
    {
        using var response = await SendAsync(() => NewRequest(HttpMethod.Post, ActorPath(actor, "method", method), body), "invoke actor method", cancellationToken,
            repeatable ? CallRetry.RepeatableMethod : CallRetry.MethodOnce).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new DaprInvokeResponse(response.StatusCode, bytes, response.Content.Headers.ContentType?.MediaType, response.Headers.Contains(ErrorResponseHeader));
    }

    /// <summary><c>POST /v1.0/publish/{pubsub}/{topic}</c> with a whole CloudEvent (application/cloudevents+json); 204 once the broker took it.</summary>
    public async Task PublishCloudEventAsync(string pubsub, string topic, byte[] cloudEvent, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        var path = $"v1.0/publish/{Uri.EscapeDataString(pubsub)}/{Uri.EscapeDataString(topic)}";
        if (metadata is { Count: > 0 })
            path += "?" + string.Join('&', metadata.Select(m => $"metadata.{Uri.EscapeDataString(m.Key)}={Uri.EscapeDataString(m.Value)}"));
        using var _ = await SendAsync(() =>
        {
            var request = NewRequest(HttpMethod.Post, path, cloudEvent);
            request.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json");
            return request;
        }, "publish", cancellationToken).ConfigureAwait(false);
    }

    internal static string ActorPath(ActorId actor, string kind, string? name = null) =>
        $"v1.0/actors/{Uri.EscapeDataString(actor.Type)}/{Uri.EscapeDataString(actor.Id)}/{kind}" + (name is null ? "" : "/" + Uri.EscapeDataString(name));

    private static byte[] ScheduleBody(TimeSpan dueTime, TimeSpan? period, JsonElement? data, string? callback)
    {
        var body = new JsonObject { ["dueTime"] = GoDuration.Format(dueTime) };
        if (period is { } p)
            body["period"] = GoDuration.Format(p);
        if (data is { ValueKind: not JsonValueKind.Undefined } d)
            body["data"] = JsonNode.Parse(d.GetRawText());
        if (callback is not null)
            body["callback"] = callback;
        return JsonSerializer.SerializeToUtf8Bytes(body);
    }

    private async Task PostScheduleAsync(ActorId actor, string kind, string name, byte[] body, string operation, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var _ = await SendAsync(() => NewRequest(HttpMethod.Post, ActorPath(actor, kind, name), body), operation, cancellationToken).ConfigureAwait(false);
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string path, byte[]? body = null)
    {
        var request = new HttpRequestMessage(method, new Uri(_options.Endpoint, path));
        if (_options.ApiToken is { } token)
            request.Headers.TryAddWithoutValidation(ApiTokenHeader, token);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = Json;
        }
        return request;
    }

    /// <summary>
    /// Sends with retries, all within <see cref="DaprOptions.RequestTimeout"/>; returns a success response (the caller disposes
    /// it) or throws <see cref="DaprApiException"/>. <paramref name="retry"/> says which failed attempts are sent again.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, string operation, CancellationToken cancellationToken, CallRetry retry = CallRetry.Any)
    {
        HttpResponseMessage response;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(_options.RequestTimeout);
        var context = ResilienceContextPool.Shared.Get(bounded.Token);
        context.Properties.Set(Retry, retry);
        try
        {
            response = await _pipeline.ExecuteAsync(static async (ctx, state) =>
            {
                using var request = state.build();
                return await state.http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ctx.CancellationToken).ConfigureAwait(false);
            }, context, (build, http: _http)).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            if (retry == CallRetry.MethodOnce && !NeverSent(ex))
                throw new DaprApiException($"daprd at {_options.HttpEndpoint} dropped the call to {operation} after it was sent, not sent again (the method may have run): {ex.Message}", ex);
            throw new DaprApiException($"daprd at {_options.HttpEndpoint} could not be reached to {operation}: {ex.Message}", ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Dapr:RequestTimeout (or HttpClient's timeout), not the caller's cancellation: a daprd that hangs is a failed call
            // like one that refuses, so callers that retry DaprApiException (the publisher) keep the event instead of treating it as poison.
            var within = bounded.IsCancellationRequested ? $"{_options.RequestTimeout.TotalSeconds:0.###} s (Dapr:RequestTimeout)" : $"{_http.Timeout.TotalSeconds:0.#} s";
            throw new DaprApiException($"daprd at {_options.HttpEndpoint} did not answer {operation} within {within}" + (retry == CallRetry.Any ? "" : ", not sent again (the method may still be running)") + $": {ex.Message}", ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
        if (response.IsSuccessStatusCode)
            return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var (code, message) = ParseError(text);
            throw new DaprApiException(operation, response.StatusCode, code, message);
        }
    }

    /// <summary>daprd's error body <c>{"errorCode":"ERR_…","message":"…"}</c>, read leniently (newer errors add "details").</summary>
    internal static (string? ErrorCode, string? Message) ParseError(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return (null, Shorten(text));
            var code = root.TryGetProperty("errorCode", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            var message = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : Shorten(text);
            return (code, message);
        }
        catch (JsonException)
        {
            return (null, string.IsNullOrEmpty(text) ? null : Shorten(text));
        }
    }

    private static string Shorten(string text) => text.Length <= 500 ? text : text[..500] + "…";

    /// <summary>
    /// <see cref="IsTransient"/>, or daprd's 400/404 saying the actor is not placed yet (<see cref="DaprApiException.NotPlaced"/>):
    /// the call never ran, so any call is sent again (placement tables arrive within seconds of a sidecar's start or a rebalance).
    /// </summary>
    private static async ValueTask<bool> IsTransientAsync(Outcome<HttpResponseMessage> outcome, ResilienceContext context)
    {
        if (IsTransient(outcome, context))
            return true;
        if (outcome.Result is not { StatusCode: HttpStatusCode.NotFound or HttpStatusCode.BadRequest } response)
            return false;
        // The body is buffered (ResponseContentRead): read here, it is read again for the exception of the last attempt.
        var text = await response.Content.ReadAsStringAsync(context.CancellationToken).ConfigureAwait(false);
        return DaprApiException.NotPlaced(ParseError(text).ErrorCode);
    }

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome, ResilienceContext context)
    {
        var retry = context.Properties.GetValue(Retry, CallRetry.Any);
        return outcome switch
        {
            { Exception: HttpRequestException ex } => retry != CallRetry.MethodOnce || NeverSent(ex),
            // HttpClient's own timeout, not the caller's cancellation nor Dapr:RequestTimeout (then no time is left).
            { Exception: TaskCanceledException } => retry == CallRetry.Any && !context.CancellationToken.IsCancellationRequested,
            { Result: { } r } => r.StatusCode == HttpStatusCode.TooManyRequests
                || (retry != CallRetry.MethodOnce && r.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable)
                || (retry == CallRetry.Any && r.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.GatewayTimeout),
            _ => false,
        };
    }

    /// <summary>
    /// The request never reached daprd: no connection could be made (refused, no route, name not resolved, TLS handshake
    /// failed). A connection that dropped or answered garbage after the request went out (<see cref="HttpRequestError.ResponseEnded"/>,
    /// <see cref="HttpRequestError.Unknown"/>, …) may have run it.
    /// </summary>
    private static bool NeverSent(HttpRequestException ex) =>
        ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError;

    [LoggerMessage(Level = LogLevel.Warning, Message = "A call to daprd failed transiently ({Reason}); retry {Attempt} in {DelayMs:0} ms ({Unlogged} more retries for this reason since the last line; logged at most once per {Interval} s)")]
    private partial void LogRetry(string reason, int attempt, double delayMs, int unlogged, double interval);
}
