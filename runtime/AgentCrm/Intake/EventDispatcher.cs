using System.Collections.Concurrent;
using System.Threading.Channels;
using AgentCrm.Storage;
using Microsoft.Extensions.Options;

namespace AgentCrm.Intake;

/// <summary>
/// Delivers inbox events to customer actors in inbox order. Each customer's events reach its actor in
/// order (the host enqueues synchronously), different customers run in parallel up to
/// Intake:MaxInFlight. Freshly committed events are handed over in memory; anything else (events from
/// before a restart, or more than the in-memory queue holds) is read back from the inbox. A persisted
/// watermark marks the prefix of the inbox that is fully processed; after a crash everything above it is
/// delivered again and the actor's sequence check drops what it already applied, so every accepted
/// event is processed exactly once. Where events go is the <see cref="IEventDelivery"/>'s business: the
/// customer actors directly (embedded host), or a Dapr pub/sub topic (Dapr host).
/// </summary>
public sealed partial class EventDispatcher : BackgroundService
{
    /// <summary>Waits before each retry of an event whose turn failed, before it becomes a dead letter.</summary>
    internal static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)];

    /// <summary>
    /// Writes that settle an event (its dead letter, or taking it off the list) are retried until durable: 0.2 s, doubling
    /// up to this; a turn failing for want of storage is retried every this long. The event is not settled until then, so
    /// the watermark stays below it.
    /// </summary>
    internal static readonly TimeSpan DurableRetryCap = TimeSpan.FromSeconds(5);
    private const int WindowSize = 4096;
    private const int LiveCapacity = 100_000;
    private static readonly TimeSpan PersistEvery = TimeSpan.FromMilliseconds(100);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentQueue<StoredEvent> _live = new();
    private readonly EventStore _store;
    private readonly IEventDelivery _delivery;
    private readonly DeadLetterBook _deadLetters;
    private readonly WatermarkTable _watermarks;
    private readonly SemaphoreSlim _gate;
    private readonly TimeProvider _time;
    private readonly ILogger<EventDispatcher> _logger;
    /// <summary>A full disk fails every turn in flight alike: their storage failures are logged once per interval per kind, not one stack trace per event and retry.</summary>
    private readonly LogThrottle _storageLog;
    private int _liveCount;
    private long _watermark;

    public EventDispatcher(EventStore store, IEventDelivery delivery, DeadLetterStore deadLetters, SqliteDatabase database, SqliteWriter writer, TimeProvider time, IOptions<IntakeOptions> options, ILogger<EventDispatcher> logger)
    {
        _store = store;
        _delivery = delivery;
        _deadLetters = new DeadLetterBook(deadLetters, time, logger);
        _watermarks = new WatermarkTable(database, writer);
        _time = time;
        _logger = logger;
        _storageLog = new LogThrottle(StorageLogInterval, time);
        _gate = new SemaphoreSlim(options.Value.MaxInFlight);
        _store.Committed += OnCommitted;
    }

    /// <summary>Every event at or below this sequence has been processed.</summary>
    public long Watermark => Interlocked.Read(ref _watermark);

    private void OnCommitted(IReadOnlyList<StoredEvent> events)
    {
        // Past the cap, events are left in the inbox and read back from there: memory stays bounded.
        if (Volatile.Read(ref _liveCount) + events.Count <= LiveCapacity)
        {
            foreach (var e in events)
                _live.Enqueue(e);
            Interlocked.Add(ref _liveCount, events.Count);
        }
        _wake.Writer.TryWrite(true);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the host's start-up: what runs before the first await runs inside StartAsync, where a read that throws kept
        // the server from starting at all (the last line logged, a misleading Kestrel TaskCanceledException).
        await Task.Yield();
        // The inbox is read again until it can be (a busy or failing disk): the server does not stop over a read.
        while (true)
        {
            try
            {
                _watermark = _watermarks.Read();
                _deadLetters.Load();
                ReadSucceeded();
                break;
            }
            catch (Exception ex)
            {
                if (stoppingToken.IsCancellationRequested)
                    return;
                await ReadFailedAsync(ex, stoppingToken);
            }
        }
        var cursor = _watermark;
        var inFlight = new Queue<(long Seq, Task<bool> Settled)>();
        var persisted = _watermark;
        var persisting = Task.FromResult(true);
        var lastPersist = _time.GetTimestamp();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var window = new List<StoredEvent>(WindowSize);
                List<UnreadableEvent> unreadable = [];
                var readFailed = false;
                while (window.Count < WindowSize && _live.TryPeek(out var next) && next.Seq <= cursor + 1)
                {
                    _live.TryDequeue(out _);
                    Interlocked.Decrement(ref _liveCount);
                    if (next.Seq <= cursor)
                        continue;
                    window.Add(next);
                    cursor = next.Seq;
                }
                try
                {
                    // A gap before the next in-memory event, or committed events that never made it to memory.
                    var upTo = _live.TryPeek(out var first) ? first.Seq - 1 : _store.LastCommittedSeq;
                    if (window.Count < WindowSize && upTo > cursor)
                    {
                        var limit = WindowSize - window.Count;
                        var read = _store.ReadAfter(cursor, limit, upTo);
                        window.AddRange(read.Events);
                        // A row that cannot be read as an event is settled as a dead letter, in its place in the inbox order.
                        unreadable = read.Unreadable;
                        if (read.Count > 0)
                            cursor = read.LastSeq;
                        // Sequences can have gaps (an ignored duplicate still uses one up); everything up to upTo is
                        // committed, so a range the inbox does not fill is a gap, not a wait.
                        if (read.Count < limit)
                            cursor = upTo;
                    }
                    ReadSucceeded();
                }
                catch (Exception ex)
                {
                    // Nothing read, the cursor where it was: the events taken from memory go out, the read is made again.
                    readFailed = true;
                    if (!stoppingToken.IsCancellationRequested)
                        LogReadFailedOnce(ex);
                }
                await DispatchAsync(window, unreadable, inFlight, stoppingToken);
                var progressed = window.Count > 0 || unreadable.Count > 0;

                Advance(inFlight);
                // A save that failed (a full disk) is made again, even if the watermark does not move meanwhile.
                if (persisting.IsCompleted && !persisting.Result)
                    (persisted, persisting) = (-1, Task.FromResult(true));
                if (Watermark != persisted && persisting.IsCompleted && _time.GetElapsedTime(lastPersist) >= PersistEvery)
                {
                    persisted = Watermark;
                    lastPersist = _time.GetTimestamp();
                    persisting = _watermarks.SaveAsync(persisted);
                }
                if (readFailed)
                    await RetryReadDelayAsync(stoppingToken);
                else if (!progressed)
                    await WaitForWorkAsync(inFlight.Count > 0 ? TimeSpan.FromMilliseconds(10) : TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Let delivered turns finish so their progress is recorded; undelivered events stay above the watermark.
            await Task.WhenAll(inFlight.Select(f => f.Settled)).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
            Advance(inFlight);
            if (!await persisting || Watermark != persisted)
                await _watermarks.SaveAsync(Watermark);
        }
    }

    /// <summary>
    /// Adaptive batching: a customer's events in one window go to its actor as one message (one turn, one
    /// state save), in order; under light load a window holds one event and nothing waits for a batch.
    /// </summary>
    private async Task DispatchAsync(List<StoredEvent> window, List<UnreadableEvent> unreadable, Queue<(long Seq, Task<bool> Settled)> inFlight, CancellationToken stoppingToken)
    {
        if (window.Count == 0 && unreadable.Count == 0)
            return;
        var groups = new Dictionary<string, List<StoredEvent>>(StringComparer.Ordinal);
        var order = new List<List<StoredEvent>>();
        foreach (var e in window)
        {
            if (!groups.TryGetValue(e.Event.CustomerId, out var group))
            {
                groups[e.Event.CustomerId] = group = [];
                order.Add(group);
            }
            group.Add(e);
        }
        var settled = new Dictionary<long, Task<bool>>(window.Count + unreadable.Count);
        foreach (var group in order)
        {
            await _gate.WaitAsync(stoppingToken);
            var task = DeliverAsync(group, stoppingToken);
            foreach (var e in group)
                settled[e.Seq] = task;
        }
        foreach (var u in unreadable)
            settled[u.Seq] = _deadLetters.RecordAsync(u, stoppingToken);
        // The watermark advances in inbox order, whatever order the groups finish in.
        if (unreadable.Count == 0)
        {
            foreach (var e in window)
                inFlight.Enqueue((e.Seq, settled[e.Seq]));
        }
        else
        {
            foreach (var seq in settled.Keys.Order())
                inFlight.Enqueue((seq, settled[seq]));
        }
        Advance(inFlight);
    }

    /// <summary>
    /// Until work is signalled, <paramref name="timeout"/> passes or the host stops, without throwing: it runs up to 100
    /// times a second while turns are in flight, and an exception each time showed in <c>dotnet_exceptions_total</c>.
    /// </summary>
    private async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken stoppingToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        cts.CancelAfter(timeout);
        await ((Task)_wake.Reader.ReadAsync(cts.Token).AsTask()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// True when the event is settled (applied, or durably recorded as a dead letter); false when it must be redelivered. A group
    /// whose turn failed is retried event by event; an event whose turn keeps failing is retried after
    /// <see cref="RetryDelays"/>, then recorded in <c>dead_letters</c> for ops to replay (<see cref="DeadLetterStore"/>).
    /// Retries are replays: later events of the customer may have been applied meanwhile.
    /// </summary>
    private async Task<bool> DeliverAsync(List<StoredEvent> events, CancellationToken stoppingToken, bool replay = false)
    {
        try
        {
            await _delivery.DeliverAsync(events, stoppingToken, replay);
            return await _deadLetters.ForgetDeliveredAsync(events, stoppingToken);
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex) when (events.Count > 1)
        {
            // One bad event must not sink its neighbours: retry them one by one, so only the culprit is dead-lettered.
            // One refused for good is not logged here: the one-by-one retry finds it, and its dead letter is logged.
            if (!SqliteWriter.IsStorageFailure(ex) && ex is not UndeliverableEventException)
                LogGroupRetry(ex, events[0].Event.CustomerId, events.Count);
            else if (SqliteWriter.IsStorageFailure(ex) && _storageLog.ShouldLog("retry", out var unlogged))
                LogStorageRetry(ex, events[0].Event.Id, events[0].Seq, unlogged, StorageLogInterval.TotalSeconds);
            _gate.Release();
            try
            {
                foreach (var e in events)
                {
                    await _gate.WaitAsync(CancellationToken.None);
                    if (!await DeliverAsync([e], stoppingToken, replay: true))
                        return false;
                }
                return true;
            }
            finally
            {
                await _gate.WaitAsync(CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            var e = events[0];
            var last = ex;
            // The first retries are for a failure that may pass (a busy disk, a store restarting). A full or failing disk is
            // not the event's fault, and every turn fails alike until it recovers: such a turn is retried every 5 s until
            // storage comes back (the watermark waits), instead of leaving ops to replay each event of the outage.
            for (var attempt = 0; ; attempt++)
            {
                TimeSpan delay;
                // Refused for good by where events go (a publish daprd refuses as too large): retrying cannot help.
                if (last is UndeliverableEventException)
                    break;
                if (attempt < RetryDelays.Length)
                {
                    delay = RetryDelays[attempt];
                    if (!SqliteWriter.IsStorageFailure(last))
                        LogRetry(last, e.Event.Id, e.Seq, delay.TotalSeconds);
                    else if (_storageLog.ShouldLog("retry", out var unlogged))
                        LogStorageRetry(last, e.Event.Id, e.Seq, unlogged, StorageLogInterval.TotalSeconds);
                }
                else if (SqliteWriter.IsStorageFailure(last))
                {
                    delay = DurableRetryCap;
                    if (attempt == RetryDelays.Length && _storageLog.ShouldLog("waiting", out var unlogged))
                        LogWaitingForStorage(e.Event.Id, e.Seq, last.Message, unlogged, StorageLogInterval.TotalSeconds);
                }
                else
                    break;
                try
                {
                    await Task.Delay(delay, _time, stoppingToken);
                    await _delivery.DeliverAsync(events, stoppingToken, replay: true);
                    return await _deadLetters.ForgetDeliveredAsync(events, stoppingToken);
                }
                catch (Exception retry)
                {
                    if (retry is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                        last = retry;
                    if (stoppingToken.IsCancellationRequested)
                    {
                        // Stopping: a numbered event stays above the watermark and is delivered again after the restart
                        // (recognised exactly). One stored before numbering becomes a dead letter instead: later events of
                        // the customer may be applied already, and a plain redelivery would be taken for a duplicate.
                        if (e.Delivery is not null)
                            return false;
                        break;
                    }
                }
            }
            return await _deadLetters.RecordAsync(e, last, stoppingToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Failed inbox reads in a row (0 while reads succeed), and the wait before the next attempt.</summary>
    private int _readFailures;
    private TimeSpan _readRetry = FirstReadRetry;
    private static readonly TimeSpan FirstReadRetry = TimeSpan.FromMilliseconds(200);

    /// <summary>The first failure of an outage is logged, with its exception; the rest only counted until a read succeeds.</summary>
    private void LogReadFailedOnce(Exception ex)
    {
        if (_readFailures++ == 0)
            LogReadFailed(ex, FirstReadRetry.TotalSeconds, DurableRetryCap.TotalSeconds);
    }

    private async Task ReadFailedAsync(Exception ex, CancellationToken stoppingToken)
    {
        LogReadFailedOnce(ex);
        await RetryReadDelayAsync(stoppingToken);
    }

    /// <summary>Waits before the next read after a failed one: 0.2 s, doubling up to <see cref="DurableRetryCap"/>; returns early when the host stops.</summary>
    private async Task RetryReadDelayAsync(CancellationToken stoppingToken)
    {
        await Task.Delay(_readRetry, _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _readRetry = _readRetry * 2 < DurableRetryCap ? _readRetry * 2 : DurableRetryCap;
    }

    private void ReadSucceeded()
    {
        if (_readFailures == 0)
            return;
        LogReadRecovered(_readFailures);
        (_readFailures, _readRetry) = (0, FirstReadRetry);
    }

    private void Advance(Queue<(long Seq, Task<bool> Settled)> inFlight)
    {
        while (inFlight.Count > 0 && inFlight.Peek().Settled.IsCompletedSuccessfully && inFlight.Peek().Settled.Result)
            Interlocked.Exchange(ref _watermark, inFlight.Dequeue().Seq);
    }

    private static readonly TimeSpan StorageLogInterval = TimeSpan.FromSeconds(10);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {CrmEventId} (seq {Seq}) failed in its actor for want of storage ({Reason}); retrying every 5 s until storage recovers, not dead-lettered ({Unlogged} more events began waiting since the last one logged; logged at most once per {Interval} s)")]
    private partial void LogWaitingForStorage(string crmEventId, long seq, string reason, int unlogged, double interval);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {CrmEventId} (seq {Seq}) failed in its actor for want of storage; retrying ({Unlogged} more turns failed so since the last one logged; logged at most once per {Interval} s)")]
    private partial void LogStorageRetry(Exception ex, string crmEventId, long seq, int unlogged, double interval);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the inbox failed; dispatch waits and reads again ({First} s, doubling up to {Cap} s), logged once until a read succeeds")]
    private partial void LogReadFailed(Exception ex, double first, double cap);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reading the inbox works again after {Failures} failed attempt(s)")]
    private partial void LogReadRecovered(int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} events for customer {CustomerId} failed; retrying them one by one")]
    private partial void LogGroupRetry(Exception ex, string customerId, int count);

    // {CrmEventId}, not {EventId}: Microsoft.Extensions.Logging's own EventId (the log method's id) would take that name's place.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {CrmEventId} (seq {Seq}) failed in its actor; retrying in {DelaySeconds} s")]
    private partial void LogRetry(Exception ex, string crmEventId, long seq, double delaySeconds);
}
