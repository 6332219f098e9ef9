using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>The daprd HTTP API routes the app calls (sheet §3), and pub/sub delivery to the app.</summary>
public sealed partial class FakeDaprd
{
    private int _failReminderCreates;

    /// <summary>The next <paramref name="count"/> reminder creations answer 500 <c>ERR_ACTOR_REMINDER_CREATE</c>, as a daprd whose placement or store fails.</summary>
    public void FailReminderCreates(int count) => Volatile.Write(ref _failReminderCreates, count);

    private int _failStateTransactions;
    private int _failOutboxRemovals;
    private int _refuseReminderCreates;

    /// <summary>The next <paramref name="count"/> transactions that only remove the Dapr host's reminder outbox answer 500.</summary>
    public void FailOutboxRemovals(int count) => Volatile.Write(ref _failOutboxRemovals, count);

    /// <summary>The next <paramref name="count"/> reminder creations answer 400 <c>ERR_BAD_REQUEST</c>, as daprd does for a name it cannot take.</summary>
    public void RefuseReminderCreates(int count) => Volatile.Write(ref _refuseReminderCreates, count);

    /// <summary>The next <paramref name="count"/> state transactions answer 500 <c>ERR_ACTOR_STATE_TRANSACTION_SAVE</c>, as a daprd whose state store fails.</summary>
    public void FailStateTransactions(int count) => Volatile.Write(ref _failStateTransactions, count);

    private int _dropMethodCalls;

    /// <summary>
    /// The next <paramref name="count"/> actor method calls run their turn on the app, then the connection to the caller drops
    /// mid-answer (headers sent, the body cut short), as when daprd or the network between fails after the request went out.
    /// </summary>
    public void DropMethodCalls(int count) => Volatile.Write(ref _dropMethodCalls, count);

    private int _failStateReads;
    private int _failStateReadStatus = 500;

    /// <summary>The next <paramref name="count"/> state reads answer <paramref name="status"/> <c>ERR_ACTOR_STATE_GET</c>, as a daprd whose state store is down.</summary>
    public void FailStateReads(int count, int status = 500)
    {
        Volatile.Write(ref _failStateReadStatus, status);
        Volatile.Write(ref _failStateReads, count);
    }

    private int _failPublishes;

    /// <summary>The next <paramref name="count"/> publishes answer 500 <c>ERR_PUBSUB_PUBLISH_MESSAGE</c>, as a daprd whose broker is down.</summary>
    public void FailPublishes(int count) => Volatile.Write(ref _failPublishes, count);

    /// <summary>
    /// daprd's request-body limit (its <c>--max-body-size</c>, 4 MiB by default, sheet §1): a larger body is answered 413
    /// (the exact errorCode is not in the sheet).
    /// </summary>
    public long MaxBodyBytes { get; set; } = 4 * 1024 * 1024;

    private readonly ConcurrentQueue<string> _rawTargets = new();

    /// <summary>The request targets of the app's calls to the API as sent, escapes undecoded (<see cref="Received"/> has the paths as the server decodes them).</summary>
    public string[] RawTargets => [.. _rawTargets];

    private void Map(WebApplication web)
    {
        web.MapGet("/v1.0/healthz", () => Results.NoContent());
        web.MapGet("/v1.0/healthz/outbound", () =>
        {
            Interlocked.Increment(ref _healthPolls);
            return Ready ? Results.NoContent() : Results.StatusCode(500);
        });
        web.MapGet("/v1.0/metadata", () => Results.Json(new { id = "agentcrm", actors = _entities.Select(e => new { type = e, count = 0 }) }));
        var api = web.MapGroup("/v1.0").AddEndpointFilter(async (context, next) =>
        {
            var request = context.HttpContext.Request;
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
            var token = request.Headers["dapr-api-token"].FirstOrDefault();
            _received.Enqueue((request.Method, request.Path + request.QueryString, token, request.ContentType, body));
            _rawTargets.Enqueue(context.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "");
            if (ApiToken is not null && token != ApiToken)
                return Error(401, "ERR_UNAUTHORIZED", "authorization failed");
            if (Encoding.UTF8.GetByteCount(body) > MaxBodyBytes)
                return Error(413, "ERR_BODY_TOO_LARGE", "http: request body too large");
            return await next(context);
        });
        api.MapMethods("/actors/{type}/{id}/method/{method}", ["GET", "POST", "PUT", "DELETE"], InvokeAsync);
        api.MapGet("/actors/{type}/{id}/state/{key}", (string type, string id, string key) =>
            Interlocked.Decrement(ref _failStateReads) >= 0
                ? Error(Volatile.Read(ref _failStateReadStatus), "ERR_ACTOR_STATE_GET", "error getting actor state: injected failure")
                : _state.TryGetValue((new ActorId(type, id), key), out var value) ? Results.Bytes(value, "application/json") : Results.NoContent());
        api.MapMethods("/actors/{type}/{id}/state", ["POST", "PUT"], TransactionAsync);
        api.MapMethods("/actors/{type}/{id}/reminders/{name}", ["POST", "PUT"], (string type, string id, string name, HttpRequest request) =>
            Interlocked.Decrement(ref _failReminderCreates) >= 0
                ? Task.FromResult(Error(500, "ERR_ACTOR_REMINDER_CREATE", "injected failure"))
                : Interlocked.Decrement(ref _refuseReminderCreates) >= 0
                ? Task.FromResult(Error(400, "ERR_BAD_REQUEST", "invalid request: injected refusal"))
                : CreateScheduleAsync(type, id, name, request, _reminders, "ERR_ACTOR_REMINDER_CREATE"));
        api.MapDelete("/actors/{type}/{id}/reminders/{name}", (string type, string id, string name) =>
        {
            _reminders.TryRemove((new ActorId(type, id), name), out _);
            return Results.NoContent();
        });
        api.MapMethods("/actors/{type}/{id}/timers/{name}", ["POST", "PUT"], (string type, string id, string name, HttpRequest request) => CreateScheduleAsync(type, id, name, request, _timers, "ERR_ACTOR_TIMER_CREATE"));
        api.MapDelete("/actors/{type}/{id}/timers/{name}", (string type, string id, string name) =>
        {
            _timers.TryRemove((new ActorId(type, id), name), out _);
            return Results.NoContent();
        });
        api.MapPost("/publish/{pubsub}/{topic}", PublishAsync);
    }

    /// <summary>
    /// Another instance's sidecar that placement and the consumer group send this one's work to: actor calls made here run on
    /// its app (under its lock, in its table), and messages published here are delivered to its app.
    /// </summary>
    public FakeDaprd? RouteTo { get; set; }

    private async Task<IResult> InvokeAsync(string type, string id, string method, HttpRequest request)
    {
        if (RouteTo is { } other)
            return await other.InvokeAsync(type, id, method, request);
        if (!_entities.Contains(type))
            return Error(500, "ERR_ACTOR_INVOKE_METHOD", $"error invoke actor method: did not find address for actor {type}/{id}");
        var body = await new StreamReader(request.Body).ReadToEndAsync();
        var actor = new ActorId(type, id);
        var contentType = request.ContentType;
        using var response = await TurnAsync(actor, () =>
        {
            // daprd always calls the app with PUT, whatever verb the caller used (sheet §2.3).
            var call = ToApp(HttpMethod.Put, $"actors/{Esc(type)}/{Esc(id)}/method/{Esc(method)}", body);
            if (contentType is not null)
                call.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            return call;
        });
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (Interlocked.Decrement(ref _dropMethodCalls) >= 0)
        {
            // Some of the answer went out, so the caller's HttpClient cannot take it for an idle connection closed before use.
            var context = request.HttpContext;
            context.Response.ContentLength = bytes.Length + 100;
            await context.Response.Body.WriteAsync(bytes);
            await context.Response.Body.FlushAsync();
            context.Abort();
            return Results.Empty;
        }
        if (response.StatusCode != HttpStatusCode.OK)
            return Error(500, "ERR_ACTOR_INVOKE_METHOD", $"error invoke actor method: error from actor service: ({(int)response.StatusCode}) {Encoding.UTF8.GetString(bytes)}");
        return new RelayResult(bytes, response.Content.Headers.ContentType?.ToString(), response.Headers.Contains("X-DaprErrorResponseHeader"));
    }

    private async Task<IResult> TransactionAsync(string type, string id, HttpRequest request)
    {
        var actor = new ActorId(type, id);
        if (!_active.ContainsKey(actor))
            return Error(400, "ERR_ACTOR_INSTANCE_MISSING", "actor instance is missing");
        if (Interlocked.Decrement(ref _failStateTransactions) >= 0)
            return Error(500, "ERR_ACTOR_STATE_TRANSACTION_SAVE", "injected failure");
        JsonArray operations;
        try
        {
            operations = JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync())!.AsArray();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException)
        {
            return Error(400, "ERR_MALFORMED_REQUEST", $"failed deserializing HTTP body: {ex.Message}");
        }
        var staged = new List<(string Key, byte[]? Value)>();
        foreach (var op in operations)
        {
            var kind = op?["operation"]?.GetValue<string>();
            var key = op?["request"]?["key"]?.GetValue<string>();
            if (kind is not ("upsert" or "delete") || string.IsNullOrEmpty(key))
                return Error(400, "ERR_MALFORMED_REQUEST", "failed deserializing HTTP body: bad operation");
            staged.Add((key, kind == "upsert" ? Encoding.UTF8.GetBytes(op!["request"]!["value"]?.ToJsonString() ?? "null") : null));
        }
        if (staged.Where(s => s.Key != AgentCrm.Dapr.DaprActorRuntime.GenerationKey).ToList() is [(AgentCrm.Dapr.ReminderOutbox.Key, null)] && Interlocked.Decrement(ref _failOutboxRemovals) >= 0)
            return Error(500, "ERR_ACTOR_STATE_TRANSACTION_SAVE", "injected failure");
        foreach (var (key, value) in staged)
        {
            if (value is null)
                _state.TryRemove((actor, key), out _);
            else
                _state[(actor, key)] = value;
        }
        return Results.NoContent();
    }

    private async Task<IResult> CreateScheduleAsync(string type, string id, string name, HttpRequest request, ConcurrentDictionary<(ActorId, string), Schedule> table, string errorCode)
    {
        if (!_entities.Contains(type))
            return table == _reminders ? Error(403, "ERR_ACTOR_REMINDER_NON_HOSTED", "operations on actor reminders are only supported for hosted actor types") : Error(500, errorCode, "actor type not registered");
        var body = JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync())!.AsObject();
        var dueText = body["dueTime"]?.GetValue<string>() ?? "";
        var periodText = body["period"]?.GetValue<string>() ?? "";
        if (!TryParseGoDuration(dueText, out var due) || (periodText.Length > 0 && !TryParseGoDuration(periodText, out _)))
            return Error(500, errorCode, $"error parsing time: {dueText} / {periodText}");
        TimeSpan? period = periodText.Length > 0 && TryParseGoDuration(periodText, out var p) ? p : null;
        table[(new ActorId(type, id), name)] = new Schedule(_time.GetUtcNow() + due, period, body["data"]?.ToJsonString(), dueText, periodText);
        return Results.NoContent();
    }

    private async Task<IResult> PublishAsync(string pubsub, string topic, HttpRequest request)
    {
        if (Interlocked.Decrement(ref _failPublishes) >= 0)
            return Error(500, "ERR_PUBSUB_PUBLISH_MESSAGE", $"error when publish to topic {topic} in pubsub {pubsub}: injected failure");
        var text = await new StreamReader(request.Body).ReadToEndAsync();
        var message = JsonNode.Parse(text)!.AsObject();
        Published.Enqueue(message);
        var to = RouteTo ?? this;
        var subscription = to._subscriptions.FirstOrDefault(s => s.PubSub == pubsub && s.Topic == topic);
        if (subscription.Route is not null)
            lock (to._deliveries)
                to._deliveries.Add(Task.Run(() => to.DeliverAsync(subscription, message)));
        return Results.NoContent();
    }

    /// <summary>Dapr's subscriber contract: 2xx + SUCCESS/DROP settles it; RETRY or any other non-2xx but 404 retries.</summary>
    /// <summary>
    /// A message whose deliveries all failed goes to the subscription's dead-letter topic, which daprd delivers like any
    /// topic to whoever subscribes to it (there without a dead-letter topic of its own: dropped when that fails too).
    /// </summary>
    private async Task DeliverAsync((string PubSub, string Topic, string Route, string? DeadLetter) subscription, JsonObject message)
    {
        if (await DeliverAsync(subscription.Route, message))
            return;
        if (subscription.DeadLetter is null)
            return;
        DeadLettered.Enqueue(message);
        var dead = _subscriptions.FirstOrDefault(s => s.PubSub == subscription.PubSub && s.Topic == subscription.DeadLetter);
        if (dead.Route is not null)
            await DeliverAsync(dead.Route, message, countAttempts: false);
    }

    /// <summary>Delivers to one route until settled (true) or out of attempts (false); <see cref="DeliveryAttempts"/> counts those to the topic's own route.</summary>
    private async Task<bool> DeliverAsync(string route, JsonObject message, bool countAttempts = true)
    {
        for (var attempt = 1; attempt <= MaxDeliveryAttempts; attempt++)
        {
            if (countAttempts)
                Interlocked.Increment(ref _deliveryAttempts);
            using var response = await _toApp.SendAsync(ToApp(HttpMethod.Post, route.TrimStart('/'), message.ToJsonString(), "application/cloudevents+json"));
            if (response.StatusCode == HttpStatusCode.NotFound)
                return true;
            if (response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync();
                var status = text.Length == 0 ? "SUCCESS" : JsonNode.Parse(text)?["status"]?.GetValue<string>()?.ToUpperInvariant() ?? "SUCCESS";
                if (status is "SUCCESS" or "DROP")
                    return true;
            }
            await Task.Delay(20);
        }
        return false;
    }
}
