using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// An in-process stand-in for daprd (placement aside: it hosts every actor on the one app it serves), on
/// a loopback port, playing the role the protocol sheet documents: it reads the app's /dapr/config, holds
/// one lock per actor and calls the app's actor routes one turn at a time, keeps actor state (refusing
/// transactions for actors that are not active, 204 for a missing key), keeps reminders and timers and
/// fires them when the test says so, sends DELETE on deactivation, and delivers published CloudEvents to
/// the app's subscription route, redelivering on failure. Requests from the app are recorded.
/// </summary>
public sealed partial class FakeDaprd : IAsyncDisposable
{
    private readonly WebApplication _web;
    private readonly HttpClient _toApp = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<ActorId, SemaphoreSlim> _locks = new();
    private readonly ConcurrentDictionary<(ActorId Actor, string Key), byte[]> _state;
    private readonly ConcurrentDictionary<ActorId, DateTimeOffset> _active = new();
    private readonly ConcurrentDictionary<(ActorId Actor, string Name), Schedule> _reminders = new();
    private readonly ConcurrentDictionary<(ActorId Actor, string Name), Schedule> _timers = new();
    private readonly ConcurrentQueue<(string Method, string Path, string? Token, string? ContentType, string Body)> _received = new();
    private readonly List<Task> _deliveries = [];
    private HashSet<string> _entities = [];
    private List<(string PubSub, string Topic, string Route, string? DeadLetter)> _subscriptions = [];

    private FakeDaprd(WebApplication web, TimeProvider time, string? apiToken, string? appToken, FakeDaprd? shareStateWith)
    {
        _state = shareStateWith?._state ?? new();
        _web = web;
        _time = time;
        ApiToken = apiToken;
        AppToken = appToken;
    }

    public Uri Endpoint { get; private set; } = null!;

    public Uri? App { get; private set; }

    /// <summary>DAPR_API_TOKEN: when set, every call from the app must carry it (except healthz).</summary>
    public string? ApiToken { get; }

    /// <summary>APP_API_TOKEN: sent to the app on every call daprd makes.</summary>
    public string? AppToken { get; }

    /// <summary>The /dapr/config body the app answered.</summary>
    public JsonObject? Config { get; private set; }

    /// <summary>While false, outbound health answers 500 (the sidecar is still starting).</summary>
    public bool Ready { get; set; } = true;

    /// <summary>How many times a delivery is tried before the message goes to the dead-letter topic.</summary>
    public int MaxDeliveryAttempts { get; set; } = 5;

    public ConcurrentQueue<JsonObject> Published { get; } = new();

    public ConcurrentQueue<JsonObject> DeadLettered { get; } = new();

    public int DeliveryAttempts => Volatile.Read(ref _deliveryAttempts);

    private int _deliveryAttempts;
    private int _healthPolls;

    /// <summary>Waits until the app has polled outbound health at least <paramref name="count"/> times.</summary>
    public async Task WaitForOutboundHealthPollsAsync(int count)
    {
        // Generous: the polls come from a timer, which a busy machine runs late.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Volatile.Read(ref _healthPolls) < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Expected {count} polls of /v1.0/healthz/outbound within 60 s; saw {_healthPolls}.");
            await Task.Delay(10);
        }
    }

    public IReadOnlyCollection<ActorId> ActiveActors => [.. _active.Keys];

    public (string Method, string Path, string? Token, string? ContentType, string Body)[] Received => [.. _received];

    /// <summary>Starts the sidecar on a loopback port; <paramref name="shareStateWith"/>: another sidecar whose actor state store this one uses too, as two instances of one app id share theirs.</summary>
    public static async Task<FakeDaprd> StartAsync(TimeProvider? time = null, string? apiToken = null, string? appToken = null, FakeDaprd? shareStateWith = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var web = builder.Build();
        var fake = new FakeDaprd(web, time ?? TimeProvider.System, apiToken, appToken, shareStateWith);
        fake.Map(web);
        await web.StartAsync();
        fake.Endpoint = new Uri(web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return fake;
    }

    /// <summary>
    /// What daprd does once the app's port is open: one GET /dapr/config, and GET /dapr/subscribe.
    /// <paramref name="hostActors"/> false plays a sidecar whose placement never got the app's types.
    /// </summary>
    public async Task ConnectAppAsync(Uri app, bool subscribe = false, bool hostActors = true)
    {
        App = app;
        using var config = await _toApp.SendAsync(ToApp(HttpMethod.Get, "dapr/config"));
        Config = config.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(await config.Content.ReadAsStringAsync())!.AsObject() : null;
        _entities = hostActors ? Config?["entities"]?.AsArray().Select(e => e!.GetValue<string>()).ToHashSet(StringComparer.Ordinal) ?? [] : [];
        if (!subscribe)
            return;
        using var subs = await _toApp.SendAsync(ToApp(HttpMethod.Get, "dapr/subscribe"));
        subs.EnsureSuccessStatusCode();
        _subscriptions = JsonNode.Parse(await subs.Content.ReadAsStringAsync())!.AsArray()
            .Select(s => (s!["pubsubname"]!.GetValue<string>(), s["topic"]!.GetValue<string>(), s["route"]!.GetValue<string>(), s["deadLetterTopic"]?.GetValue<string>()))
            .ToList();
    }

    /// <summary>Marks an actor active in this sidecar's table, as daprd does while it runs a turn, for tests that call the app directly.</summary>
    public void MarkActive(ActorId actor) => _active[actor] = _time.GetUtcNow();

    public byte[]? StateOf(ActorId actor, string key) => _state.TryGetValue((actor, key), out var v) ? v : null;

    /// <summary>Writes a state value directly, as another program sharing the state store could.</summary>
    public void PutState(ActorId actor, string key, string json) => _state[(actor, key)] = System.Text.Encoding.UTF8.GetBytes(json);

    public bool HasReminder(ActorId actor, string name) => _reminders.ContainsKey((actor, name));

    /// <summary>Fires every reminder due now (activating its actor if needed); returns how many the app answered 200.</summary>
    public async Task<int> FireDueRemindersAsync()
    {
        var now = _time.GetUtcNow();
        var fired = 0;
        foreach (var (key, reminder) in _reminders.Where(r => r.Value.DueAt <= now).ToList())
        {
            // Scheduler-backed reminders: dueTime and period arrive as "" (sheet §2.4).
            var body = new JsonObject();
            if (reminder.Data is { } data)
                body["data"] = JsonNode.Parse(data);
            body["dueTime"] = "";
            body["period"] = "";
            using var response = await TurnAsync(key.Actor, () => ToApp(HttpMethod.Put, $"actors/{Esc(key.Actor.Type)}/{Esc(key.Actor.Id)}/method/remind/{Esc(key.Name)}", body.ToJsonString()));
            if (response.StatusCode != HttpStatusCode.OK)
                continue;
            fired++;
            if (reminder.Period is { } period)
                _reminders.TryUpdate(key, reminder with { DueAt = reminder.DueAt + (period * Math.Max(1, Math.Ceiling((now - reminder.DueAt + TimeSpan.FromTicks(1)) / period))) }, reminder);
            else
                _reminders.TryRemove(KeyValuePair.Create(key, reminder));
        }
        return fired;
    }

    /// <summary>Fires every timer due now on active actors.</summary>
    public async Task<int> FireDueTimersAsync()
    {
        var now = _time.GetUtcNow();
        var fired = 0;
        foreach (var (key, timer) in _timers.Where(t => t.Value.DueAt <= now && _active.ContainsKey(t.Key.Actor)).ToList())
        {
            var body = new JsonObject();
            if (timer.Data is { } data)
                body["data"] = JsonNode.Parse(data);
            body["callback"] = "";
            body["dueTime"] = timer.DueTimeText;
            body["period"] = timer.PeriodText;
            if (timer.Period is { } period)
                _timers.TryUpdate(key, timer with { DueAt = timer.DueAt + period }, timer);
            else
                _timers.TryRemove(KeyValuePair.Create(key, timer));
            using var response = await TurnAsync(key.Actor, () => ToApp(HttpMethod.Put, $"actors/{Esc(key.Actor.Type)}/{Esc(key.Actor.Id)}/method/timer/{Esc(key.Name)}", body.ToJsonString()));
            if (response.StatusCode == HttpStatusCode.OK)
                fired++;
        }
        return fired;
    }

    /// <summary>Deactivates one actor as daprd does on idle or rebalance: forget it, drop its timers, DELETE on the app.</summary>
    public async Task<bool> DeactivateAsync(ActorId actor)
    {
        var gate = _locks.GetOrAdd(actor, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try
        {
            if (!_active.TryRemove(actor, out _))
                return false;
            foreach (var key in _timers.Keys.Where(k => k.Actor == actor))
                _timers.TryRemove(key, out _);
            using var response = await _toApp.SendAsync(ToApp(HttpMethod.Delete, $"actors/{Esc(actor.Type)}/{Esc(actor.Id)}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return true;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Deactivation whose DELETE never reaches the app: daprd drops the actor from its table first and, when the call to the app
    /// fails (connection reset, timeout), only returns the error (dapr/dapr pkg/actors/targets/app/app.go, Deactivate). The app
    /// still holds the activation.
    /// </summary>
    public bool DeactivateWithoutDelete(ActorId actor)
    {
        foreach (var key in _timers.Keys.Where(k => k.Actor == actor))
            _timers.TryRemove(key, out _);
        return _active.TryRemove(actor, out _);
    }

    /// <summary>Deactivates actors idle for at least <paramref name="idle"/> (every turn counts as activity).</summary>
    public async Task DeactivateIdleAsync(TimeSpan idle)
    {
        var now = _time.GetUtcNow();
        foreach (var (actor, last) in _active.ToList())
            if (now - last >= idle)
                await DeactivateAsync(actor);
    }

    /// <summary>
    /// A daprd that crashed and was restarted: its table of active actors and their timers are gone, and the app was sent no
    /// DELETE. Reconnect with <see cref="ConnectAppAsync"/>, as the restarted daprd reads /dapr/config again.
    /// </summary>
    public void Crash()
    {
        _active.Clear();
        _timers.Clear();
    }

    /// <summary>What daprd does before it exits: halts every hosted actor.</summary>
    public async Task HaltAllAsync()
    {
        foreach (var actor in _active.Keys.ToList())
            await DeactivateAsync(actor);
    }

    /// <summary>
    /// Waits until every published message was delivered (or dead-lettered). The default is a hang guard, not a speed check:
    /// CI runs the suite on a loaded 2-core machine in a Debug build.
    /// </summary>
    public async Task WaitForDeliveriesAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(2));
        while (true)
        {
            Task[] pending;
            lock (_deliveries)
                pending = [.. _deliveries.Where(d => !d.IsCompleted)];
            if (pending.Length == 0)
                return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Expected every published event to be delivered within the timeout; {pending.Length} deliveries are still running.");
            await Task.WhenAny(Task.WhenAll(pending), Task.Delay(100));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync();
        await _web.DisposeAsync();
        _toApp.Dispose();
    }

    /// <summary>One turn: the actor's lock is held for the whole app call, and the actor is active in daprd's table meanwhile.</summary>
    private async Task<HttpResponseMessage> TurnAsync(ActorId actor, Func<HttpRequestMessage> build)
    {
        var gate = _locks.GetOrAdd(actor, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try
        {
            _active[actor] = _time.GetUtcNow();
            var response = await _toApp.SendAsync(build());
            await response.Content.LoadIntoBufferAsync();
            _active[actor] = _time.GetUtcNow();
            return response;
        }
        finally
        {
            gate.Release();
        }
    }

    private HttpRequestMessage ToApp(HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, new Uri(App!, path));
        if (AppToken is not null)
            request.Headers.TryAddWithoutValidation("dapr-api-token", AppToken);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        return request;
    }

    private static string Esc(string segment) => Uri.EscapeDataString(segment);

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new JsonObject { ["errorCode"] = code, ["message"] = message }, statusCode: status);

    /// <summary>Go's time.ParseDuration for the units daprd accepts (h, m, s, ms, us, ns), as sent by our client.</summary>
    public static bool TryParseGoDuration(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text.Length == 0)
            return true;
        var matches = GoDurationPart().Matches(text);
        if (matches.Sum(m => m.Length) != text.Length || matches.Count == 0)
            return false;
        foreach (Match m in matches)
        {
            var amount = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            value += m.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "ms" => TimeSpan.FromMilliseconds(amount),
                "us" or "µs" => TimeSpan.FromMicroseconds(amount),
                _ => TimeSpan.FromTicks((long)(amount / 100)),
            };
        }
        return true;
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")]
    private static partial Regex GoDurationPart();

    private sealed record Schedule(DateTimeOffset DueAt, TimeSpan? Period, string? Data, string DueTimeText, string PeriodText);

    /// <summary>Relays the app's answer to the caller: status 200, body, Content-Type and the error-payload header.</summary>
    private sealed class RelayResult(byte[] body, string? contentType, bool appError) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = 200;
            if (appError)
                httpContext.Response.Headers["X-Daprerrorresponseheader"] = "true";
            if (contentType is not null)
                httpContext.Response.ContentType = contentType;
            await httpContext.Response.Body.WriteAsync(body);
        }
    }
}
