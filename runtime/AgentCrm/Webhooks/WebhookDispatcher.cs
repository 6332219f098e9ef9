using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using AgentCrm.Access;
using AgentCrm.Briefs;
using AgentCrm.Customers;
using Microsoft.Extensions.Options;

namespace AgentCrm.Webhooks;

/// <summary>
/// Delivers each subscription's changes in order, at least once, with one loop per subscription: a failing or slow
/// endpoint holds back only its own subscription, never another one or the event path (a stored brief only signals the
/// loops, after its commit). The position is the subscription's cursor in SQLite, moved after the receivers' 2xx in one
/// write per <see cref="BatchSize"/> deliveries or per <see cref="SaveInterval"/>, while the next ones go out, and before the
/// loop waits, fails or stops: a crash resends at most <see cref="MaxUnsaved"/> changes, under the same delivery ids.
/// </summary>
public sealed partial class WebhookDispatcher : BackgroundService
{
    /// <summary>Changes read per query of the feed.</summary>
    internal const int BatchSize = 100;

    public const string SignatureHeader = "X-AgentCrm-Signature";
    public const string DeliveryHeader = "X-AgentCrm-Delivery";
    public const string EventHeader = "X-AgentCrm-Event";

    /// <summary>The view every payload carries: a CSM's (a review's verdict and reason, never the reviewer, note or label).</summary>
    private static readonly Caller CsmView = new("webhook", Roles.Csm, "webhook");

    private readonly WebhookStore _store;
    private readonly BriefStore _briefs;
    private readonly BriefDisclosure _disclosure;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, Loop> _loops = new(StringComparer.Ordinal);
    private readonly Channel<bool> _resync = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _disablements;
    private readonly Histogram<double> _duration;

    public WebhookDispatcher(WebhookStore store, BriefStore briefs, BriefDisclosure disclosure, IOptions<WebhookOptions> options, TimeProvider time, IMeterFactory meters, ILogger<WebhookDispatcher> logger)
    {
        _store = store;
        _briefs = briefs;
        _disclosure = disclosure;
        _options = options.Value;
        _time = time;
        _logger = logger;
        // No redirects: a subscription's URL is the one ops registered; a 3xx is a failed delivery, not a new destination.
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = _options.RequestTimeout,
        };
        // Ours in both cases: it marks the attempt that opened a connection, so one that failed on a pooled connection the
        // receiver had closed is told apart (SendAsync).
        handler.ConnectCallback = WebhookConnections.Callback(_options.AllowPrivateAddresses);
        _http = new HttpClient(handler)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("AgentCrm-Webhooks/1");
        var meter = meters.Create(RuntimeMetrics.MeterName);
        _deliveries = meter.CreateCounter<long>("agentcrm.webhooks.deliveries", description: "Webhook delivery attempts, by outcome (delivered, failed).");
        _duration = meter.CreateHistogram<double>("agentcrm.webhooks.delivery.duration", "ms", "One webhook delivery attempt, by outcome.");
        meter.CreateObservableGauge("agentcrm.webhooks.backlog", () => PerSubscription(h => _store.Count(h)),
            description: "Changes a subscription has yet to deliver, counted among the 10,000 audit records after its cursor (a lower bound past them: it stops growing there).");
        meter.CreateObservableGauge("agentcrm.webhooks.oldest_pending_age", () => PerSubscription(OldestPendingAge), "s",
            "Age of the oldest change a subscription has yet to deliver (0: none); it keeps growing while that change waits. Alert on this.");
        meter.CreateObservableGauge("agentcrm.webhooks.audit_records_behind", () => PerSubscription(h => WebhookStore.Behind(h, _store.Head())),
            description: "Audit records after a subscription's cursor, of every kind: an upper bound of its backlog, never capped.");
        meter.CreateObservableGauge("agentcrm.webhooks.consecutive_failures", Failures, description: "Failed attempts in a row, per subscription (0 once one succeeds).");
        _disablements = meter.CreateCounter<long>("agentcrm.webhooks.disablements", description: "Subscriptions disabled for failing longer than Webhooks:DisableAfter.");
        meter.CreateObservableGauge("agentcrm.webhooks.disabled", DisabledNow, description: "Subscriptions disabled now (nothing is attempted until ops enable them).");
    }

    /// <summary>Active subscriptions whose latest attempt failed (for readiness's report; they do not make the server unready).</summary>
    public int Failing => _loops.Count(l => Volatile.Read(ref l.Value.Failures) > 0);

    /// <summary>
    /// How often the subscriptions' change counter is looked at, for subscriptions another process on the data directory
    /// (`agentcrm webhooks add` / `remove` / `enable`) added, removed or enabled (a rotated secret needs no look: each attempt reads the secrets): as often as the registry and knowledge watchers look at theirs.
    /// </summary>
    public static readonly TimeSpan ChangeCheckInterval = TimeSpan.FromSeconds(2);

    /// <summary>Starts loops for new and enabled subscriptions and stops those of deleted ones now, rather than at the next look at the change counter.</summary>
    public void Resync() => _resync.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Deliver)
        {
            LogDeliveriesOff();
            return;
        }
        _briefs.Changed += OnBriefChanged;
        try
        {
            long synced = -1;
            var asked = true;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    // The counter is read before the subscriptions: a change committed between the two reads is synced
                    // again at the next look, never missed.
                    var version = _store.Version();
                    if (asked || version != synced)
                    {
                        Sync(stoppingToken);
                        synced = version;
                    }
                }
                catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException)
                {
                    LogSyncFailed(ex);
                }
                asked = await WaitAsync(_resync.Reader, ChangeCheckInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _briefs.Changed -= OnBriefChanged;
            // No loop starts another attempt, but an attempt in flight is let finish for up to StopGrace: cut off, the receiver
            // may still take it while the cursor does not move past it, and the restart sends it again (a slow receiver got a
            // duplicate on nearly every deploy; qa43d #1).
            foreach (var loop in _loops.Values)
            {
                await loop.Cancel.CancelAsync();
                loop.Abort.CancelAfter(StopGrace);
            }
            await Task.WhenAll(_loops.Values.Select(l => l.Task));
        }
    }

    /// <summary>One loop per active subscription: none for a disabled one (it is attempted again once enabled).</summary>
    private void Sync(CancellationToken stoppingToken)
    {
        var hooks = _store.List().Where(h => h.DisabledAt is null).ToDictionary(h => h.Id, StringComparer.Ordinal);
        foreach (var (id, loop) in _loops)
            if (!hooks.ContainsKey(id) && _loops.TryRemove(id, out _))
            {
                loop.Cancel.Cancel();
                loop.Abort.Cancel();
            }
        foreach (var hook in hooks.Values)
            if (!_loops.ContainsKey(hook.Id))
            {
                var loop = new Loop(hook.Id, CancellationTokenSource.CreateLinkedTokenSource(stoppingToken)) { Failures = hook.ConsecutiveFailures };
                _loops[hook.Id] = loop;
                loop.Task = Task.Run(() => RunAsync(loop, hook, loop.Cancel.Token), CancellationToken.None);
            }
    }

    // On the writer's thread, after the commit: signals only.
    private void OnBriefChanged(Brief brief, long seq, long position)
    {
        if (brief.Status is not (BriefStatus.Delivered or BriefStatus.Retracted))
            return;
        // Enumerating the dictionary itself takes no lock (its Values property would take all of them, on the writer's thread).
        foreach (var (_, loop) in _loops)
            loop.Wake.Writer.TryWrite(true);
    }

    private async Task RunAsync(Loop loop, WebhookRecord first, CancellationToken ct)
    {
        var cursor = new Cursor(loop.Id, first.DeliveredSeq, _time.GetTimestamp());
        try
        {
            // A backoff in progress when the server stopped is waited out, not restarted from the first delay.
            if (first.NextAttemptAt is { } due && due > _time.GetUtcNow())
                await DelayAsync(due - _time.GetUtcNow(), ct);
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    if (_store.Get(loop.Id) is not { } hook)
                        return;
                    if (hook.DisabledAt is not null)
                    {
                        // Started by a look at the subscriptions taken just before it was disabled: it is not attempted.
                        Leave(loop);
                        return;
                    }
                    var head = _store.Head();
                    var changes = _store.Changes(hook, cursor.Sent, head, BatchSize);
                    foreach (var change in changes)
                        if (!await DeliverAsync(loop, hook, change, cursor, ct))
                            return;
                    if (changes.Count == BatchSize)
                        continue;
                    // Everything up to the head was looked at: changes not for this subscription are passed over. Deliveries
                    // are stored before the loop waits (a caught-up subscription shows its true cursor); changes passed over
                    // only now and then (a restart otherwise reads them again), not after every wake.
                    cursor.Sent = Math.Max(cursor.Sent, head);
                    if (cursor.Unsaved > 0 || (cursor.Sent > cursor.Saved && _time.GetElapsedTime(cursor.LastSave) >= _options.PollInterval))
                        if (!await SaveAsync(cursor, start: true, wait: true))
                            return;
                    await WaitAsync(loop.Wake.Reader, _options.PollInterval, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // Storage trouble (a full disk): nothing was lost, the stored cursor did not move past what was sent; try
                    // again after a pause.
                    LogLoopFailed(ex, loop.Id);
                    await DelayAsync(_options.PollInterval, ct);
                }
            }
        }
        finally
        {
            // Stopping: what was sent is stored, so a restart does not send it again (a crash sends it again: at most
            // MaxUnsaved deliveries, under the same ids).
            try
            {
                await SaveAsync(cursor, start: true, wait: true);
            }
            catch (Exception ex)
            {
                LogStopSaveFailed(ex, loop.Id);
            }
        }
    }

    /// <summary>
    /// How long a graceful stop lets an attempt in flight run on (within its own <see cref="WebhookOptions.RequestTimeout"/>)
    /// so that its answer is stored; one cut off is sent again after the restart, under the same delivery id. The host's
    /// stop budget holds it (<see cref="Server.AgentCrmServer"/>).
    /// </summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Most deliveries a subscription sends past its stored cursor: it then waits for the cursor's write. A crash sends these
    /// again (under the same delivery ids); a stop stores them first.
    /// </summary>
    internal const int MaxUnsaved = 2 * BatchSize;

    /// <summary>How often a subscription that is sending stores its cursor (one write, for every delivery since the last).</summary>
    internal static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Records that <paramref name="change"/> is done (<paramref name="delivered"/>: the receiver accepted it; else it was
    /// passed over), and stores the cursor when it is due: a write goes to the single writer while the next deliveries go
    /// out, after <see cref="BatchSize"/> deliveries or <see cref="SaveInterval"/>, so a feed is not held to one delivery per
    /// group commit (it was: 11 deliveries in 30 s behind busy intake). <paramref name="urgent"/>: stored now (the first
    /// success after failures clears them at once). False when the subscription was deleted.
    /// </summary>
    private Task<bool> DoneAsync(Cursor cursor, WebhookChange change, bool delivered, bool urgent)
    {
        cursor.Sent = change.Seq;
        if (delivered)
            cursor.Delivered++;
        if (urgent)
            return SaveAsync(cursor, start: true, wait: true);
        var due = cursor.Delivered >= BatchSize || _time.GetElapsedTime(cursor.LastSave) >= SaveInterval;
        return SaveAsync(cursor, start: due, wait: cursor.Unsaved >= MaxUnsaved);
    }

    /// <summary>
    /// Takes the result of the cursor's write in flight if it is done (or waits for it, with <paramref name="wait"/>); starts
    /// a write of what was sent since, with <paramref name="start"/>, when none is in flight; with <paramref name="wait"/>
    /// waits for that one too. False when the subscription was deleted. A write that failed leaves its deliveries to the next.
    /// </summary>
    private async Task<bool> SaveAsync(Cursor cursor, bool start, bool wait)
    {
        if (cursor.Saving is { } inFlight && (inFlight.IsCompleted || wait) && !await SettleAsync(cursor, inFlight))
            return false;
        if (start && cursor.Saving is null && cursor.Sent > cursor.Saved)
        {
            cursor.Saving = _store.AdvanceAsync(cursor.Id, cursor.Sent, cursor.Delivered);
            (cursor.SavingTo, cursor.SavingCount, cursor.Delivered) = (cursor.Sent, cursor.Delivered, 0);
            cursor.LastSave = _time.GetTimestamp();
        }
        return !wait || cursor.Saving is not { } started || await SettleAsync(cursor, started);
    }

    private static async Task<bool> SettleAsync(Cursor cursor, Task<bool> saving)
    {
        bool stored;
        try
        {
            stored = await saving;
        }
        catch
        {
            (cursor.Saving, cursor.Delivered, cursor.SavingCount) = (null, cursor.Delivered + cursor.SavingCount, 0);
            throw;
        }
        cursor.Saving = null;
        if (stored)
            cursor.Saved = Math.Max(cursor.Saved, cursor.SavingTo);
        cursor.SavingCount = 0;
        return stored;
    }

    /// <summary>
    /// Sends one change until the receiver accepts it, or until it is no longer this subscription's (its account was taken
    /// from the CSM), and records it done (<see cref="DoneAsync"/>); false when the subscription was deleted or disabled, or
    /// the server stops.
    /// </summary>
    private async Task<bool> DeliverAsync(Loop loop, WebhookRecord hook, WebhookChange change, Cursor cursor, CancellationToken ct)
    {
        // The same for every attempt, after a restart too; the record's hash keeps it unique should a restored backup reuse the seq.
        var deliveryId = $"{hook.Id}-{change.Seq.ToString(CultureInfo.InvariantCulture)}-{change.Hash[..12]}";
        Brief? brief = null;
        while (!ct.IsCancellationRequested)
        {
            // The CSM's accounts are checked as each attempt is sent, not when the batch was read (README), and the brief
            // is read when the change is first sent.
            if (_store.Current(hook, change.Seq) is not { } current)
                return await DoneAsync(cursor, change, delivered: false, urgent: false);
            // The secrets as they are now: a rotation (this server's or the CLI's) signs the next attempt, not the next batch.
            if (_store.Get(hook.Id) is not { } signing)
                return false;
            brief ??= BriefStore.AsSeenBy(JsonSerializer.Deserialize<Brief>(current.BriefJson, BriefStore.Json)!, CsmView);
            // Named as the customer's consent allows now, at each attempt: a withdrawal during a retry's backoff keeps the name out.
            var body = Payload(deliveryId, hook.Id, current, _disclosure.AsConsented(brief));
            var started = Stopwatch.GetTimestamp();
            var error = await SendAsync(signing, deliveryId, change.Type, body, loop.Abort.Token);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (error is null)
            {
                _deliveries.Add(1, new KeyValuePair<string, object?>("outcome", "delivered"));
                _duration.Record(elapsed, new KeyValuePair<string, object?>("outcome", "delivered"));
                var recovered = Volatile.Read(ref loop.Failures);
                Volatile.Write(ref loop.Failures, 0);
                if (recovered > 0)
                    LogRecovered(hook.Id, recovered);
                return await DoneAsync(cursor, change, delivered: true, urgent: recovered > 0);
            }
            if (ct.IsCancellationRequested)
                return false;
            _deliveries.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            _duration.Record(elapsed, new KeyValuePair<string, object?>("outcome", "failed"));
            // The deliveries before this one are stored first: the failing streak Webhooks:DisableAfter measures starts
            // after the last success.
            if (!await SaveAsync(cursor, start: true, wait: true))
                return false;
            var failures = Interlocked.Increment(ref loop.Failures);
            var delay = Backoff(failures, _options.RetryBaseDelay, _options.RetryMaxDelay, Random.Shared.NextDouble());
            LogFailed(hook.Id, deliveryId, error, failures, delay.TotalSeconds);
            var (outcome, failed) = await _store.FailedAsync(hook.Id, error, failures, _time.GetUtcNow() + delay, _options.DisableAfter);
            if (outcome == WebhookFailureOutcome.Gone)
                return false;
            if (outcome == WebhookFailureOutcome.Disabled)
            {
                _disablements.Add(1);
                LogDisabled(hook.Id, failed!.FailingSince!.Value, failures, error, _options.DisableAfter);
                Leave(loop);
                return false;
            }
            await DelayAsync(delay, ct);
        }
        return false;
    }

    /// <summary>
    /// A loop that ends because its subscription is disabled: it leaves the loops (readiness no longer counts it as failing),
    /// and the subscriptions are looked at again after that, so an enable that came meanwhile starts a new loop.
    /// </summary>
    private void Leave(Loop loop)
    {
        _loops.TryRemove(new KeyValuePair<string, Loop>(loop.Id, loop));
        Resync();
    }

    /// <summary>
    /// Exponential backoff with jitter: the base delay doubled per failure after the first, capped, then scaled by a
    /// factor between 0.5 and 1 (<paramref name="jitter"/> in [0, 1)), so receivers coming back are not hit in step.
    /// </summary>
    public static TimeSpan Backoff(int failures, TimeSpan baseDelay, TimeSpan maxDelay, double jitter)
    {
        var exponent = Math.Min(failures - 1, 30);
        var ticks = Math.Min(maxDelay.Ticks, baseDelay.Ticks * Math.Pow(2, exponent));
        return TimeSpan.FromTicks((long)(ticks * (0.5 + jitter / 2)));
    }

    /// <summary>
    /// The request body: the brief as first read for this change in this process, so the same bytes for every attempt
    /// unless the customer's consent changed meanwhile (<see cref="BriefDisclosure"/>).
    /// </summary>
    private static byte[] Payload(string deliveryId, string hookId, WebhookChange change, Brief brief) =>
        JsonSerializer.SerializeToUtf8Bytes(new WebhookPayload(deliveryId, change.Type, change.At, hookId, change.Seq, brief), BriefStore.Json);

    /// <summary>
    /// How often one attempt is sent again at once because the pooled connection it went out on had been closed by the
    /// receiver (several subscriptions to one receiver may leave several such connections in the pool).
    /// </summary>
    internal const int ResendsOnClosedConnection = 3;

    /// <summary>
    /// One attempt: null when the receiver answered 2xx, else why it failed. A request that ended before any answer on a
    /// pooled connection (not one it opened) never reached a receiver that had closed that connection: it is sent again at
    /// once, on a new connection, within the same timeout — not a failure of the receiver (the delivery id is the same, so
    /// a receiver that did get it dedupes it). SocketsHttpHandler pools a connection after an HTTP/1.0 answer without
    /// keep-alive as after any other (and the request's <c>Connection: close</c> does not stop that), and it does not send a
    /// request with a body again itself; so a receiver that closes after each answer (Python's http.server) lost about one
    /// attempt in 75 to this race, each logged and retried a second later as the receiver's failure.
    /// </summary>
    private async Task<string?> SendAsync(WebhookRecord hook, string deliveryId, string type, byte[] body, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        for (var resends = 0; ; resends++)
        {
            var opened = new StrongBox<bool>();
            try
            {
                using var request = Request(hook, deliveryId, type, body, opened);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
                var status = (int)response.StatusCode;
                return status is >= 200 and < 300 ? null : $"HTTP {status}{(status is >= 300 and < 400 ? " (redirects are not followed)" : "")}";
            }
            catch (HttpRequestException ex) when (resends < ResendsOnClosedConnection && !Volatile.Read(ref opened.Value)
                && WebhookConnections.EndedBeforeAnswer(ex) && !linked.IsCancellationRequested)
            {
                LogResent(hook.Id, deliveryId, ex.HttpRequestError);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                return $"no answer within {_options.RequestTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
            }
            catch (HttpRequestException ex) when (Refusal(ex) is { } refused)
            {
                return $"not sent: {refused.Message}";
            }
            catch (HttpRequestException ex)
            {
                return ex.HttpRequestError == HttpRequestError.Unknown ? "request failed" : $"request failed: {ex.HttpRequestError}";
            }
            catch (OperationCanceledException)
            {
                return "stopped";
            }
        }
    }

    /// <summary>One attempt's request, signed now; <paramref name="opened"/> is marked if it opens a connection.</summary>
    private HttpRequestMessage Request(WebhookRecord hook, string deliveryId, string type, byte[] body, StrongBox<bool> opened)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, hook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(DeliveryHeader, deliveryId);
        request.Headers.Add(EventHeader, type);
        var now = _time.GetUtcNow();
        request.Headers.Add(SignatureHeader, Sign(hook.SigningSecrets(now), now.ToUnixTimeSeconds(), body));
        request.Options.Set(WebhookConnections.Opened, opened);
        return request;
    }

    /// <summary>The refusal of a private address, however deep the client wrapped it (a host name's connection adds a layer).</summary>
    private static PrivateAddressException? Refusal(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
            if (e is PrivateAddressException refused)
                return refused;
        return null;
    }

    /// <summary>
    /// <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 over "t.body" keyed with the secret's UTF-8 bytes&gt;</c>: the
    /// receiver recomputes it from the raw body, compares in constant time, and refuses an old <c>t</c> (a replay).
    /// </summary>
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body) => Sign([secret], timestamp, body);

    /// <summary>
    /// <c>t=…,v1=…,v1=…</c>: one <c>v1</c> per secret, the current one first (during a rotation's overlap the previous one
    /// follows), as Stripe's scheme has it: a receiver accepts the request when any <c>v1</c> matches a secret it holds.
    /// </summary>
    public static string Sign(IReadOnlyList<string> secrets, long timestamp, ReadOnlySpan<byte> body)
    {
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var signed = new byte[t.Length + 1 + body.Length];
        Encoding.ASCII.GetBytes(t, signed);
        signed[t.Length] = (byte)'.';
        body.CopyTo(signed.AsSpan(t.Length + 1));
        var header = new StringBuilder("t=").Append(t);
        foreach (var secret in secrets)
            header.Append(",v1=").Append(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed)));
        return header.ToString();
    }

    /// <summary>Waits for the signal or for <paramref name="wait"/> to pass; true when it was signalled.</summary>
    private async Task<bool> WaitAsync(ChannelReader<bool> signal, TimeSpan wait, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(wait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            await signal.WaitToReadAsync(linked.Token);
            return signal.TryRead(out _);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _time, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One measurement per subscription (disabled ones too: their backlog waits); none when SQLite cannot be read now.</summary>
    private IEnumerable<Measurement<T>> PerSubscription<T>(Func<WebhookRecord, T> measure) where T : struct
    {
        List<Measurement<T>> measurements = [];
        try
        {
            foreach (var hook in _store.List())
                measurements.Add(new Measurement<T>(measure(hook), new KeyValuePair<string, object?>("webhook", hook.Id)));
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
        }
        return measurements;
    }

    private double OldestPendingAge(WebhookRecord hook) =>
        _store.OldestPendingAt(hook) is { } at ? Math.Max(0, (_time.GetUtcNow() - at).TotalSeconds) : 0;

    private IEnumerable<Measurement<int>> DisabledNow()
    {
        int count;
        try
        {
            count = _store.DisabledCount();
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            yield break;
        }
        yield return new Measurement<int>(count);
    }

    private IEnumerable<Measurement<int>> Failures()
    {
        foreach (var (_, loop) in _loops)
            yield return new Measurement<int>(Volatile.Read(ref loop.Failures), new KeyValuePair<string, object?>("webhook", loop.Id));
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    private sealed class Loop(string id, CancellationTokenSource cancel)
    {
        public string Id { get; } = id;

        /// <summary>Stops the loop: no attempt starts after it, and waits end.</summary>
        public CancellationTokenSource Cancel { get; } = cancel;

        /// <summary>Cuts off the attempt in flight: at once when the subscription goes, <see cref="StopGrace"/> after a stop.</summary>
        public CancellationTokenSource Abort { get; } = new();

        public Channel<bool> Wake { get; } = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        public Task Task { get; set; } = Task.CompletedTask;
        public int Failures;
    }

    /// <summary>
    /// A loop's position: <see cref="Sent"/>, the change it is done with; <see cref="Saved"/>, the cursor stored; the
    /// deliveries between them not yet in a write (<see cref="Delivered"/>) or in the write in flight (<see cref="SavingCount"/>).
    /// </summary>
    private sealed class Cursor(string id, long seq, long now)
    {
        public string Id { get; } = id;
        public long Sent = seq;
        public long Saved = seq;
        public int Delivered;
        public Task<bool>? Saving;
        public long SavingTo;
        public int SavingCount;
        public long LastSave = now;

        /// <summary>Deliveries sent past the stored cursor: a crash now sends them again.</summary>
        public int Unsaved => Delivered + SavingCount;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId}: delivery {DeliveryId} failed ({Error}); {Failures} failures in a row, next attempt in {Delay:0.#} s")]
    private partial void LogFailed(string webhookId, string deliveryId, string error, int failures, double delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId}: disabled, failing since {FailingSince:u} ({Failures} failed attempts in a row, last error: {Error}) for longer than Webhooks:DisableAfter ({DisableAfter}); nothing more is sent until ops enable it (POST /v1/webhooks/ID/enable, agentcrm webhooks enable ID), and its backlog waits from its cursor")]
    private partial void LogDisabled(string webhookId, DateTimeOffset failingSince, int failures, string error, TimeSpan disableAfter);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Webhook {WebhookId}: delivery {DeliveryId} went out on a pooled connection the receiver had closed ({Error}); sent again at once on a new one")]
    private partial void LogResent(string webhookId, string deliveryId, HttpRequestError error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook deliveries are off (Webhooks:Deliver=false): nothing is sent; subscriptions, cursors and backlogs are kept for a server started with deliveries on")]
    private partial void LogDeliveriesOff();

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {WebhookId}: delivering again after {Failures} failed attempts")]
    private partial void LogRecovered(string webhookId, int failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {WebhookId}: its delivery loop failed; it resumes from its cursor")]
    private partial void LogLoopFailed(Exception ex, string webhookId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId}: storing its cursor on stopping failed; a restart sends the changes after the stored cursor again, under the same delivery ids")]
    private partial void LogStopSaveFailed(Exception ex, string webhookId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhooks: reading the subscriptions failed; trying again")]
    private partial void LogSyncFailed(Exception ex);
}

/// <summary>What a receiver gets: a delivery id stable across retries (dedupe on it), the event, and the brief as a CSM reads it when it is sent.</summary>
public sealed record WebhookPayload(string Id, string Type, DateTimeOffset OccurredAt, string WebhookId, long Sequence, Brief Brief);
