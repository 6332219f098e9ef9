namespace AgentCrm.Intake;

/// <summary>
/// The dispatcher's side of dead letters: which inbox sequences are recorded as dead letters (few, held in memory), the
/// durable recording of a new one, and taking off the list one delivered after all. Each write is retried until durable
/// (<see cref="EventDispatcher.DurableRetryCap"/>): the event is not settled before, so the watermark stays below it.
/// </summary>
internal sealed partial class DeadLetterBook(DeadLetterStore store, TimeProvider time, ILogger logger)
{
    private readonly HashSet<long> _seqs = [];

    public void Load()
    {
        lock (_seqs)
            _seqs.UnionWith(store.Seqs());
    }

    /// <summary>
    /// Records <paramref name="e"/>, whose turn kept failing with <paramref name="last"/>, as a dead letter: settled (true)
    /// only once that is durable (a full disk fails this write too), logged after it is; false when the server stops first.
    /// </summary>
    public async Task<bool> RecordAsync(StoredEvent e, Exception last, CancellationToken stoppingToken)
    {
        if (!await UntilDurableAsync(() => store.RecordAsync(e, last), ex => LogDeadLetterNotRecorded(e.Event.Id, e.Seq, ex.Message), stoppingToken))
        {
            LogDeadLetterLeft(e.Event.Id, e.Seq);
            return false;
        }
        lock (_seqs)
            _seqs.Add(e.Seq);
        LogPoison(last, e.Event.Id, e.Seq, e.Event.CustomerId);
        return true;
    }

    /// <summary>
    /// Records an inbox row that cannot be read as an event as a dead letter, so the dispatcher passes over it (the
    /// watermark moves on) instead of stopping there: settled (true) once that is durable; false when the server stops first.
    /// </summary>
    public async Task<bool> RecordAsync(UnreadableEvent e, CancellationToken stoppingToken)
    {
        if (!await UntilDurableAsync(() => store.RecordAsync(e), ex => LogDeadLetterNotRecorded(e.EventId, e.Seq, ex.Message), stoppingToken))
        {
            LogDeadLetterLeft(e.EventId, e.Seq);
            return false;
        }
        lock (_seqs)
            _seqs.Add(e.Seq);
        LogUnreadable(e.EventId, e.Seq, e.CustomerId, e.Error);
        return true;
    }

    /// <summary>
    /// A dead letter delivered after all (redelivered above the watermark after a restart) is applied: numbered events are
    /// recognised exactly, so a delivery that succeeds means the event is in the customer's state. It leaves the list, durably
    /// before the event counts as settled; false when the server stops first (it is delivered again after the restart).
    /// </summary>
    public async Task<bool> ForgetDeliveredAsync(IReadOnlyList<StoredEvent> events, CancellationToken stoppingToken)
    {
        List<long>? delivered = null;
        lock (_seqs)
        {
            if (_seqs.Count == 0)
                return true;
            foreach (var e in events)
                if (e.Delivery is not null && _seqs.Remove(e.Seq))
                    (delivered ??= []).Add(e.Seq);
        }
        if (delivered is null || await UntilDurableAsync(() => store.ForgetAsync(delivered), ex => LogForgetFailed(delivered.Count, ex.Message), stoppingToken))
            return true;
        lock (_seqs)
            _seqs.UnionWith(delivered);
        return false;
    }

    /// <summary>
    /// Runs <paramref name="write"/> until it is durable, waiting 0.2 s, doubling up to <see cref="EventDispatcher.DurableRetryCap"/>, between
    /// attempts (the first failure is reported to <paramref name="firstFailure"/>); false when the server stops first.
    /// </summary>
    private async Task<bool> UntilDurableAsync(Func<Task> write, Action<Exception> firstFailure, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await write();
                return true;
            }
            catch (Exception ex)
            {
                if (attempt == 0)
                    firstFailure(ex);
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
                delay = delay * 2 < EventDispatcher.DurableRetryCap ? delay * 2 : EventDispatcher.DurableRetryCap;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Event {CrmEventId} (seq {Seq}) for customer {CustomerId} failed in its actor; recorded in dead_letters (GET /v1/dead-letters, replay with POST /v1/dead-letters/replay)")]
    private partial void LogPoison(Exception ex, string crmEventId, long seq, string customerId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Event {CrmEventId} (seq {Seq}) for customer {CustomerId} cannot be read from the inbox: {Reason}; recorded in dead_letters and passed over (repair the row's body, then replay it with POST /v1/dead-letters/replay)")]
    private partial void LogUnreadable(string crmEventId, long seq, string customerId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Event {CrmEventId} (seq {Seq}) kept failing in its actor (or cannot be read), and its dead letter could not be recorded ({Reason}); retrying until it is, the dispatch watermark stays below it")]
    private partial void LogDeadLetterNotRecorded(string crmEventId, long seq, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping before the dead letter of event {CrmEventId} (seq {Seq}) was recorded; it stays above the watermark and is delivered again after the restart")]
    private partial void LogDeadLetterLeft(string crmEventId, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} dead letter(s) applied after all could not be taken off the list ({Reason}); retrying until they are")]
    private partial void LogForgetFailed(int count, string reason);
}
