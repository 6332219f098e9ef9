using AgentCrm.Agents.Customers;
using AgentCrm.Audit;
using AgentCrm.Storage;

namespace AgentCrm.Intake;

/// <summary>
/// An accepted event whose turn kept failing: kept in the inbox, listed here until it is applied. RepublishedAt: under Dapr,
/// when a replay of a build before 2026-12-06 published it again (null otherwise: replays now call the actor through daprd);
/// it stays listed until the customer's actor applies it.
/// </summary>
[Server.OpenApiAlwaysSent]
public sealed record DeadLetter(long Seq, string EventId, string CustomerId, string Type, string Error, DateTimeOffset At, DateTimeOffset? RepublishedAt = null);

/// <summary>What a replay did: the events applied, and those that failed again (they stay dead letters).</summary>
/// <param name="Replayed">
/// Dead letters applied by their customer's actor (or found applied already) and removed from the list: the replay waits for
/// the turn, under Dapr too (the actor is called through daprd, on whichever instance hosts it).
/// </param>
/// <param name="Failed">Dead letters whose delivery failed again; they stay listed.</param>
/// <param name="NotFound">The seqs asked for that are no dead letter (never one, or replayed or delivered since), in the order given; empty when every dead letter was asked for.</param>
/// <param name="Published">
/// Always 0: builds before 2026-12-06 published dead letters to Dapr pub/sub again and counted them here, not applied yet
/// (another instance could take the delivery, and the letter stayed listed here). Kept for their clients.
/// </param>
[Server.OpenApiAlwaysSent]
public sealed record ReplayOutcome(int Replayed, IReadOnlyList<ReplayFailure> Failed, IReadOnlyList<long> NotFound, int Published = 0);

public sealed record ReplayFailure(long Seq, string EventId, string Error);

/// <summary>
/// The dispatcher's dead letters (events whose turn failed after its retries) for ops: list them, and replay them once the
/// cause is fixed. A replay goes through the same delivery as live events, marked as a replay so the customer's actor
/// checks it by event id (later events of the customer were applied meanwhile); an event applied leaves the list.
/// </summary>
public sealed class DeadLetterStore(SqliteDatabase database, SqliteWriter writer, EventStore inbox, IEventDelivery delivery, AuditLog audit, TimeProvider time)
{
    public const int MaxReplay = 1000;

    /// <summary>How long one event's replay may take before it counts as failed (its turn, under Dapr its call through daprd).</summary>
    public static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _replaying = new(1, 1);

    public long Count()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM dead_letters";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>The inbox sequences of every dead letter (few).</summary>
    public List<long> Seqs()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT seq FROM dead_letters";
        using var reader = cmd.ExecuteReader();
        var seqs = new List<long>();
        while (reader.Read())
            seqs.Add(reader.GetInt64(0));
        return seqs;
    }

    /// <summary>Records an event whose turn kept failing (again, when it was one already).</summary>
    public Task RecordAsync(StoredEvent e, Exception error) => RecordAsync(e.Seq, e.Event.Id, error.GetType().Name + ": " + error.Message);

    /// <summary>Records an inbox row that cannot be read as an event: it was never delivered, and is not until it is repaired and replayed.</summary>
    public Task RecordAsync(UnreadableEvent e) => RecordAsync(e.Seq, e.EventId, UnreadableError(e));

    /// <summary>The error a dead letter of an unreadable row lists (and a replay of it while still unreadable answers).</summary>
    internal static string UnreadableError(UnreadableEvent e) =>
        $"UnreadableEvent: the stored body cannot be read as an event ({e.Error.TrimEnd('.')}); never delivered: repair the row's body in the events table, then replay it.";

    /// <summary>
    /// Records a dead letter of an event this inbox does not hold (another instance accepted it, or others published it):
    /// the event is stored as it came (<see cref="EventStore.Adopt"/>) and listed with <paramref name="error"/>, in one
    /// transaction, so it is listed, counted and replayed from here. Returns its sequence, or null when this inbox holds
    /// another customer's event under its id (nothing is written).
    /// </summary>
    public Task<long?> RecordAdoptedAsync(CrmEvent e, string body, DateTimeOffset receivedAt, CustomerTimeline.Delivery? delivery, string error) =>
        writer.WriteAsync(ctx =>
        {
            if (inbox.Adopt(ctx, e, body, receivedAt, delivery) is not { } seq)
                return (long?)null;
            ctx.Execute("INSERT OR REPLACE INTO dead_letters (seq, event_id, error, at) VALUES ($s, $id, $e, $at)",
                ("$s", seq), ("$id", e.Id), ("$e", error), ("$at", time.GetUtcNow().ToString("O")));
            return seq;
        });

    /// <summary>Records the inbox row <paramref name="seq"/> (event <paramref name="eventId"/>) as a dead letter with <paramref name="error"/>.</summary>
    public Task RecordAsync(long seq, string eventId, string error) => writer.WriteAsync(ctx => ctx.Execute(
        "INSERT OR REPLACE INTO dead_letters (seq, event_id, error, at) VALUES ($s, $id, $e, $at)",
        ("$s", seq), ("$id", eventId), ("$e", error), ("$at", time.GetUtcNow().ToString("O"))));

    /// <summary>Takes dead letters that were applied after all off the list.</summary>
    public Task ForgetAsync(IReadOnlyList<long> seqs) => writer.WriteAsync(ctx =>
    {
        foreach (var seq in seqs)
        {
            ctx.Execute("DELETE FROM dead_letters WHERE seq = $s", ("$s", seq));
            ctx.Execute("DELETE FROM dead_letters_republished WHERE seq = $s", ("$s", seq));
        }
    });

    /// <summary>
    /// Under Dapr: the customer's actor applied event <paramref name="eventId"/> (a replay published again, or a redelivery):
    /// if it is a dead letter, it leaves the list and <c>event.replayed</c> is audited, in one transaction — by whoever
    /// replayed it, or <c>system</c> for a redelivery. Returns whether it was one. A read first: most events are none.
    /// </summary>
    public async Task<bool> ForgetAppliedAsync(string eventId, string customerId)
    {
        long seq;
        using (var connection = database.Open())
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT d.seq FROM dead_letters d JOIN events e ON e.seq = d.seq WHERE d.event_id = $id AND e.customer_id = $c";
            cmd.Parameters.AddWithValue("$id", eventId);
            cmd.Parameters.AddWithValue("$c", customerId);
            if (cmd.ExecuteScalar() is not long found)
                return false;
            seq = found;
        }
        return await writer.WriteAsync(ctx =>
        {
            string? error = null, by = null, at = null;
            using (var cmd = ctx.Connection.CreateCommand())
            {
                cmd.CommandText = "SELECT d.error, r.actor, r.at FROM dead_letters d LEFT JOIN dead_letters_republished r ON r.seq = d.seq WHERE d.seq = $s";
                cmd.Parameters.AddWithValue("$s", seq);
                using var r = cmd.ExecuteReader();
                if (r.Read())
                    (error, by, at) = (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2));
            }
            if (error is null || ctx.Execute("DELETE FROM dead_letters WHERE seq = $s", ("$s", seq)) == 0)
                return false;
            ctx.Execute("DELETE FROM dead_letters_republished WHERE seq = $s", ("$s", seq));
            var data = new Dictionary<string, object?> { ["eventId"] = eventId, ["seq"] = seq, ["error"] = error, ["published"] = true };
            if (at is not null)
                data["republishedAt"] = at;
            else
                data["redelivered"] = true;
            audit.Append(ctx, by ?? "system", "event.replayed", $"customer:{customerId}", data, time.GetUtcNow());
            return true;
        });
    }

    /// <summary>Dead letters in inbox order after <paramref name="afterSeq"/>, one more than <paramref name="limit"/> when there are more.</summary>
    public List<DeadLetter> List(int limit, long afterSeq = 0, IReadOnlyCollection<long>? seqs = null)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        var only = seqs is { Count: > 0 } ? $" AND d.seq IN ({string.Join(",", seqs.Select((_, i) => $"$q{i}"))})" : "";
        cmd.CommandText = $"""
            SELECT d.seq, d.event_id, e.customer_id, e.type, d.error, d.at, r.at FROM dead_letters d JOIN events e ON e.seq = d.seq
            LEFT JOIN dead_letters_republished r ON r.seq = d.seq
            WHERE d.seq > $after{only} ORDER BY d.seq LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$after", afterSeq);
        cmd.Parameters.AddWithValue("$limit", limit + 1);
        var i = 0;
        foreach (var seq in seqs ?? [])
            cmd.Parameters.AddWithValue($"$q{i++}", seq);
        using var r = cmd.ExecuteReader();
        var list = new List<DeadLetter>();
        while (r.Read())
            list.Add(new DeadLetter(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
                DateTimeOffset.Parse(r.GetString(5), System.Globalization.CultureInfo.InvariantCulture),
                r.IsDBNull(6) ? null : DateTimeOffset.Parse(r.GetString(6), System.Globalization.CultureInfo.InvariantCulture)));
        return list;
    }

    /// <summary>Replays the given dead letters (all, up to <see cref="MaxReplay"/>, when none are given), one at a time in inbox order.</summary>
    /// <remarks>
    /// One replay at a time; an event that takes longer than <see cref="DeliveryTimeout"/> counts as failed and stays listed.
    /// A delivery that cannot reach where events go (<see cref="DeliveryUnavailableException"/>) stops the replay: the
    /// letters after it are reported failed as not tried, and stay listed.
    /// </remarks>
    public async Task<ReplayOutcome> ReplayAsync(IReadOnlyCollection<long>? seqs, string actor, CancellationToken cancellationToken)
    {
        await _replaying.WaitAsync(cancellationToken);
        try
        {
            var letters = List(MaxReplay, seqs: seqs).Take(MaxReplay).ToList();
            var listed = letters.Select(l => l.Seq).ToHashSet();
            IReadOnlyList<long> notFound = seqs is null ? [] : seqs.Where(s => !listed.Contains(s)).Distinct().ToList();
            var replayed = 0;
            var failed = new List<ReplayFailure>();
            for (var i = 0; i < letters.Count; i++)
            {
                var letter = letters[i];
                cancellationToken.ThrowIfCancellationRequested();
                var read = inbox.ReadAfter(letter.Seq - 1, 1, letter.Seq, includeAdopted: true);
                if (read.Unreadable is [var unreadable, ..])
                {
                    failed.Add(new ReplayFailure(letter.Seq, letter.EventId, UnreadableError(unreadable)));
                    continue;
                }
                var stored = read.Events;
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bounded.CancelAfter(DeliveryTimeout);
                try
                {
                    await delivery.ReplayAsync(stored, bounded.Token);
                }
                catch (DeliveryUnavailableException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // Where events go cannot be reached: the letters after this one would wait in turn for the same answer.
                    failed.Add(new ReplayFailure(letter.Seq, letter.EventId, ex.Message));
                    failed.AddRange(letters.Skip(i + 1).Select(l =>
                        new ReplayFailure(l.Seq, l.EventId, $"not tried: the replay stopped at event seq {letter.Seq}, whose delivery failed ({ex.Message})")));
                    break;
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    var error = ex is OperationCanceledException ? $"not delivered within {DeliveryTimeout.TotalSeconds:0} s" : ex.GetType().Name + ": " + ex.Message;
                    failed.Add(new ReplayFailure(letter.Seq, letter.EventId, error));
                    continue;
                }
                // The dispatcher (or, under Dapr, a delivery to /dapr/events) may have removed it meanwhile: audited once, by
                // whoever removes it here.
                var removed = await writer.WriteAsync(ctx =>
                {
                    if (ctx.Execute("DELETE FROM dead_letters WHERE seq = $s", ("$s", letter.Seq)) == 0)
                        return false;
                    ctx.Execute("DELETE FROM dead_letters_republished WHERE seq = $s", ("$s", letter.Seq));
                    var data = new Dictionary<string, object?>
                    {
                        ["eventId"] = letter.EventId,
                        ["seq"] = letter.Seq,
                        ["error"] = letter.Error,
                    };
                    audit.Append(ctx, actor, "event.replayed", $"customer:{letter.CustomerId}", data, time.GetUtcNow());
                    return true;
                });
                if (removed)
                    replayed++;
            }
            return new ReplayOutcome(replayed, failed, notFound);
        }
        finally
        {
            _replaying.Release();
        }
    }
}
