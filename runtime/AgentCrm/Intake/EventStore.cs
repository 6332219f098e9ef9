using System.Text.Json;
using AgentCrm.Agents.Customers;
using AgentCrm.Storage;

namespace AgentCrm.Intake;

/// <summary>
/// An event as stored in the inbox, with its delivery sequence and its number among the customer's events
/// (<see cref="CustomerTimeline.Delivery"/>: the inbox's source id of that run, and 1, 2, 3, …), null for events stored before
/// numbering.
/// </summary>
public sealed record StoredEvent(long Seq, CrmEvent Event, DateTimeOffset ReceivedAt, CustomerTimeline.Delivery? Delivery = null);

public sealed record AppendResult(int Accepted, int Duplicates, long LastSeq);

/// <summary>
/// An inbox row whose stored body cannot be read as an event (damaged on disk, or changed by hand): its id and customer
/// are the row's own columns, <see cref="Error"/> says what is wrong with the body.
/// </summary>
public sealed record UnreadableEvent(long Seq, string EventId, string CustomerId, string Error);

/// <summary>
/// What <see cref="EventStore.ReadAfter"/> read, in delivery order: the events, and the rows among them that cannot be read
/// (one such row must not stop every event behind it). <see cref="LastSeq"/> is the last row read of either kind, 0 for none.
/// </summary>
public sealed record InboxRead(List<StoredEvent> Events, List<UnreadableEvent> Unreadable, long LastSeq)
{
    /// <summary>Rows read, of either kind.</summary>
    public int Count => Events.Count + Unreadable.Count;
}

/// <summary>What <see cref="EventStore.AppendAsync"/> does with an event whose id is stored with other content.</summary>
public enum IdReuse
{
    /// <summary>Refuse the request (the API: a client that changed an event under its old id hears of it).</summary>
    Refuse,

    /// <summary>Keep the stored event and count the new one a duplicate (the demo, whose timeline moves with the clock).</summary>
    KeepStored,
}

/// <summary>
/// The durable inbox. Append is one group-commit operation per request (all of a request's events or
/// none); the unique event id makes redelivery by a client harmless.
/// </summary>
public sealed class EventStore
{
    private const string InsertSql =
        "INSERT OR IGNORE INTO events (id, customer_id, type, occurred_at, received_at, body) VALUES ($id, $c, $t, $o, $r, $b) RETURNING seq";

    private const string NumberSql = "INSERT INTO event_numbers_v2 (seq, source, number) VALUES ($s, $src, $n)";

    private const string StoredBodySql = "SELECT seq, body FROM events WHERE id = $id";

    /// <summary>
    /// Customers whose last number is kept, per generation: past it the generation becomes the older one and the one before
    /// is dropped, so the counts take at most twice this many entries (some 100 bytes each), not one per customer ever seen.
    /// </summary>
    internal const int NumbersKept = 65_536;

    /// <summary>
    /// The source and last number of each customer numbered lately (this generation and the one before; the sources are this
    /// process's, so every count starts at 0). A customer in neither starts again at 1 under <see cref="SourceId"/>, which is
    /// drawn anew whenever a generation is dropped: a source a dropped customer was numbered under is never theirs again, so
    /// no number is given twice (their actor sees one more source, as after a restart), and no event costs a read.
    /// </summary>
    private Dictionary<string, (string Source, long Last)> _numbers = new(StringComparer.Ordinal), _olderNumbers = new(StringComparer.Ordinal);

    private readonly SqliteDatabase database;
    private readonly SqliteWriter writer;
    private readonly TimeProvider time;

    /// <summary>
    /// Numbers each customer's events as they are accepted, in the same transaction, under a source id drawn by every
    /// process (nothing shared with another process opening the same data directory): an actor recognises any redelivery
    /// exactly, in any order, and a data directory restored from a backup never numbers new events like applied ones.
    /// </summary>
    public EventStore(SqliteDatabase database, SqliteWriter writer, TimeProvider time)
    {
        this.database = database;
        this.writer = writer;
        this.time = time;
        SourceId = NewSourceId();
    }

    /// <summary>The source id a customer not numbered lately is numbered under (drawn at start and when a generation is dropped).</summary>
    public string SourceId { get; private set; }

    /// <summary>Customers whose last number is held in memory now.</summary>
    internal int CustomersCounted => _numbers.Count + _olderNumbers.Count;

    private static string NewSourceId() => Guid.NewGuid().ToString("N")[..16];

    private (string Source, long Last) LastNumber(string customerId) =>
        _numbers.TryGetValue(customerId, out var last) || _olderNumbers.TryGetValue(customerId, out last) ? last : (SourceId, 0);

    private void KeepNumber(string customerId, (string Source, long Last) last)
    {
        _numbers[customerId] = last;
        if (_numbers.Count < NumbersKept)
            return;
        (_olderNumbers, _numbers) = (_numbers, new(StringComparer.Ordinal));
        SourceId = NewSourceId();
    }

    /// <summary>Raised on the writer thread, in sequence order, for the events of each commit (the dispatcher's fast path).</summary>
    public event Action<IReadOnlyList<StoredEvent>>? Committed;

    private long _lastCommittedSeq = -1;

    /// <summary>The highest sequence committed to the inbox.</summary>
    public long LastCommittedSeq
    {
        get
        {
            if (Interlocked.Read(ref _lastCommittedSeq) < 0)
                Interlocked.CompareExchange(ref _lastCommittedSeq, MaxSeq(), -1);
            return Interlocked.Read(ref _lastCommittedSeq);
        }
    }

    private long _acceptedTotal = -1;

    /// <summary>
    /// Events stored in the inbox since the data directory was created: its rows, counted once (by the first append, in its
    /// transaction, or by the first read) and then per commit. Not the last sequence: an id sent again takes a sequence number
    /// it never keeps, so every integrator retry inflated that (+14.6% in a QA run with replays).
    /// </summary>
    public long AcceptedTotal
    {
        get
        {
            // A count read here sees only committed appends, and each of those set the total (in its transaction) before
            // it committed: so this only ever sets a total no append has.
            if (Interlocked.Read(ref _acceptedTotal) < 0)
                Interlocked.CompareExchange(ref _acceptedTotal, Scalar(CountSql), -1);
            return Interlocked.Read(ref _acceptedTotal);
        }
    }

    private const string CountSql = "SELECT count(*) FROM events";

    /// <summary>Events stored after <paramref name="seq"/> (a range of the primary key: it reads about what it counts).</summary>
    public long CountAfter(long seq) => Scalar("SELECT count(*) FROM events WHERE seq > $s", seq);

    /// <summary>
    /// Stores a request's events in one operation. An id stored before is a duplicate when the event is the same
    /// (customer, type, instant, source, attributes; formatting aside); with other content the whole request is refused
    /// (<see cref="EventIdReusedException"/>, nothing stored) unless <paramref name="reuse"/> keeps the stored one.
    /// </summary>
    public async Task<AppendResult> AppendAsync(IReadOnlyList<IncomingEvent> events, IdReuse reuse = IdReuse.Refuse, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var receivedAt = now.ToString("O");
        return await writer.WriteAsync(ctx =>
        {
            if (Interlocked.Read(ref _acceptedTotal) < 0)
                Interlocked.CompareExchange(ref _acceptedTotal, (long)ctx.Command(CountSql).ExecuteScalar()!, -1);
            int accepted = 0, duplicates = 0;
            Dictionary<string, string[]>? reused = null;
            var numbers = new Dictionary<string, (string Source, long Last)>(StringComparer.Ordinal);
            var stored = new List<StoredEvent>(events.Count);
            foreach (var e in events)
            {
                if (ctx.ExecuteInt64(InsertSql, ("$id", e.Event.Id), ("$c", e.Event.CustomerId), ("$t", e.Event.Type),
                        ("$o", e.Event.OccurredAt.ToString("O")), ("$r", receivedAt), ("$b", e.Json)) is { } seq)
                {
                    accepted++;
                    // Stored with the event, in its transaction; counted on the single writer thread. A rolled-back
                    // batch leaves a gap in the numbers (one more range in the actor), never a number given twice.
                    var (source, prior) = numbers.TryGetValue(e.Event.CustomerId, out var inRequest) ? inRequest : LastNumber(e.Event.CustomerId);
                    var n = prior + 1;
                    numbers[e.Event.CustomerId] = (source, n);
                    ctx.Execute(NumberSql, ("$s", seq), ("$src", source), ("$n", n));
                    stored.Add(new StoredEvent(seq, e.Event, now, new CustomerTimeline.Delivery(source, n)));
                }
                else
                {
                    duplicates++;
                    if (reuse == IdReuse.Refuse && ReuseProblem(ctx, e.Event) is { } problem)
                        (reused ??= new(StringComparer.Ordinal))[$"{e.Path}.id"] = [e.Where + problem];
                }
            }
            if (reused is not null)
                throw new EventIdReusedException(reused);
            // Taken only by a request that stores its events: a refused one leaves no gap in the customer's numbers.
            foreach (var (customer, last) in numbers)
                KeepNumber(customer, last);
            if (stored.Count > 0)
                ctx.AfterCommit(() =>
                {
                    _ = LastCommittedSeq;
                    Interlocked.Exchange(ref _lastCommittedSeq, stored[^1].Seq);
                    Interlocked.Add(ref _acceptedTotal, stored.Count);
                    Committed?.Invoke(stored);
                });
            return new AppendResult(accepted, duplicates, stored.Count > 0 ? stored[^1].Seq : 0);
        }).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Rows after <paramref name="afterSeq"/> (up to <paramref name="upTo"/>, at most <paramref name="limit"/>) in delivery
    /// order: each an event, or, when its stored body cannot be read as one, an <see cref="UnreadableEvent"/>. Rows adopted
    /// from another instance's dead letters (<see cref="Adopt"/>) only with <paramref name="includeAdopted"/>: they are
    /// dead letters to replay, not events to dispatch. A failure of the read itself (a busy or failing disk) throws.
    /// </summary>
    public InboxRead ReadAfter(long afterSeq, int limit, long upTo = long.MaxValue, bool includeAdopted = false)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        var adopted = includeAdopted ? "" : " AND NOT EXISTS (SELECT 1 FROM events_adopted a WHERE a.seq = e.seq)";
        cmd.CommandText = $"""
            SELECT e.seq, e.body, e.received_at, n.source, n.number, e.id, e.customer_id FROM events e LEFT JOIN event_numbers_v2 n ON n.seq = e.seq
            WHERE e.seq > $after AND e.seq <= $upTo{adopted} ORDER BY e.seq LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$after", afterSeq);
        cmd.Parameters.AddWithValue("$upTo", upTo);
        cmd.Parameters.AddWithValue("$limit", limit);
        using var reader = cmd.ExecuteReader();
        var list = new List<StoredEvent>(limit);
        List<UnreadableEvent>? unreadable = null;
        long last = 0;
        while (reader.Read())
        {
            last = reader.GetInt64(0);
            try
            {
                list.Add(new StoredEvent(last, ParseStored(reader.GetString(1)), DateTimeOffset.Parse(reader.GetString(2), System.Globalization.CultureInfo.InvariantCulture),
                    reader.IsDBNull(3) ? null : new CustomerTimeline.Delivery(reader.GetString(3), reader.GetInt64(4))));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidCastException or InvalidOperationException)
            {
                (unreadable ??= []).Add(new UnreadableEvent(last, reader.GetString(5), reader.GetString(6), ex.Message));
            }
        }
        return new InboxRead(list, unreadable ?? [], last);
    }

    /// <summary>
    /// The stored bodies of the events among <paramref name="ids"/> that belong to <paramref name="customerId"/>, in inbox
    /// order; a body that cannot be read as an event is left out and handed to <paramref name="unreadable"/>.
    /// </summary>
    public List<JsonElement> GetRaw(IEnumerable<string> ids, string customerId, Action<UnreadableEvent>? unreadable = null)
    {
        var wanted = ids.Distinct(StringComparer.Ordinal).ToList();
        var list = new List<JsonElement>(wanted.Count);
        if (wanted.Count == 0)
            return list;
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        var names = wanted.Select((_, i) => $"$p{i}").ToList();
        // Only the customer's own: ids come from agents' reasons (a plugin's among them), and an id of another customer's
        // event must not show that event in this customer's evidence.
        cmd.CommandText = $"SELECT seq, body, id FROM events WHERE customer_id = $customer AND id IN ({string.Join(",", names)}) ORDER BY seq";
        cmd.Parameters.AddWithValue("$customer", customerId);
        for (var i = 0; i < wanted.Count; i++)
            cmd.Parameters.AddWithValue(names[i], wanted[i]);
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            // A body that holds no event (damaged on disk, changed by hand: a dead letter until repaired) is left out of the
            // evidence, as ReadAfter passes over it, rather than failing the whole answer.
            try
            {
                var body = reader.GetString(1);
                _ = ParseStored(body);
                using var doc = JsonDocument.Parse(body);
                list.Add(doc.RootElement.Clone());
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidCastException or InvalidOperationException)
            {
                unreadable?.Invoke(new UnreadableEvent(reader.GetInt64(0), reader.GetString(2), customerId, ex.Message));
            }
        }
        return list;
    }

    /// <summary>
    /// Stores, in <paramref name="ctx"/>'s transaction, an event another instance accepted (its dead letter came to this one),
    /// as it was accepted: <paramref name="body"/> the event's JSON, its receipt time and its delivery number there (null for
    /// one published by others), so a replay from here publishes it under that number and the actor applies it at most once.
    /// Marked adopted: the dispatcher never delivers it as a new event. Returns its sequence (the stored one when this inbox
    /// holds the event already), or null when its id is taken by another customer's event here.
    /// </summary>
    internal long? Adopt(WriteContext ctx, CrmEvent e, string body, DateTimeOffset receivedAt, CustomerTimeline.Delivery? delivery)
    {
        if (ctx.ExecuteInt64(InsertSql, ("$id", e.Id), ("$c", e.CustomerId), ("$t", e.Type), ("$o", e.OccurredAt.ToString("O")),
                ("$r", receivedAt.ToString("O")), ("$b", body)) is not { } seq)
            return ctx.ExecuteInt64("SELECT seq FROM events WHERE id = $id AND customer_id = $c", ("$id", e.Id), ("$c", e.CustomerId));
        if (delivery is { } d)
            ctx.Execute(NumberSql, ("$s", seq), ("$src", d.Source), ("$n", d.Seq));
        ctx.Execute("INSERT INTO events_adopted (seq) VALUES ($s)", ("$s", seq));
        ctx.AfterCommit(() =>
        {
            if (Interlocked.Read(ref _acceptedTotal) >= 0)
                Interlocked.Increment(ref _acceptedTotal);
        });
        return seq;
    }

    /// <summary>The inbox sequence of event <paramref name="id"/> when it is <paramref name="customerId"/>'s; null when the inbox holds no such event.</summary>
    public long? SeqOf(string id, string customerId)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT seq FROM events WHERE id = $id AND customer_id = $c";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$c", customerId);
        return cmd.ExecuteScalar() is long seq ? seq : null;
    }

    public long Count() => Scalar("SELECT count(*) FROM events");

    public long MaxSeq() => Scalar("SELECT coalesce(max(seq), 0) FROM events");

    /// <summary>One number read from the inbox; <paramref name="seq"/> binds <c>$s</c> where the query has it.</summary>
    private long Scalar(string sql, long? seq = null)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        if (seq is { } s)
            cmd.Parameters.AddWithValue("$s", s);
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>"…, but its type and attributes differ: …": the fields of a reused id's event that changed, in a sentence.</summary>
    internal static string ReusedIdMessage(List<string> changed)
    {
        var fields = changed.Count == 1 ? changed[0] : $"{string.Join(", ", changed[..^1])} and {changed[^1]}";
        var verb = changed.Count > 1 || changed[0] == "attributes" ? "differ" : "differs";
        return $"An event with this id was accepted before (or comes earlier in this request), but its {fields} {verb}: the id is the event's idempotency key, so a changed event needs a new id.";
    }

    /// <summary>
    /// Why <paramref name="incoming"/> is not a duplicate of the stored event of its id (the fields that differ, or a stored
    /// body that cannot be read as an event), or null when it is the same event.
    /// </summary>
    private static string? ReuseProblem(WriteContext ctx, CrmEvent incoming)
    {
        var cmd = ctx.Command(StoredBodySql, "$id");
        cmd.Parameters["$id"].Value = incoming.Id;
        using var reader = cmd.ExecuteReader();
        reader.Read();
        var seq = reader.GetInt64(0);
        CrmEvent stored;
        try
        {
            stored = ParseStored(reader.GetString(1));
        }
        // Which bodies ReadAfter takes for unreadable: such a row is a dead letter, so the retry cannot be told a duplicate
        // (nor the 500 it was, which has a client retry the batch for ever); refused like a changed event until it is repaired.
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidCastException or InvalidOperationException)
        {
            return UnreadableStoredMessage(seq, ex.Message);
        }
        return ChangedFields(stored, incoming) is { } changed ? ReusedIdMessage(changed) : null;
    }

    /// <summary>The answer to a retry of an event whose stored copy (inbox row <paramref name="seq"/>) cannot be read.</summary>
    internal static string UnreadableStoredMessage(long seq, string error) =>
        $"An event with this id was accepted before, but its stored copy (inbox seq {seq}) cannot be read as an event ({error.TrimEnd('.')}): "
        + "it is a dead letter until ops repair its body in the events table and replay it; send the request again after that.";

    /// <summary>The fields in which <paramref name="incoming"/> differs from <paramref name="stored"/>, or null when it is the same event.</summary>
    private static List<string>? ChangedFields(CrmEvent stored, CrmEvent incoming)
    {
        var changed = new List<string>();
        if (!string.Equals(stored.CustomerId, incoming.CustomerId, StringComparison.Ordinal))
            changed.Add("customerId");
        if (!string.Equals(stored.Type, incoming.Type, StringComparison.Ordinal))
            changed.Add("type");
        if (stored.OccurredAt != incoming.OccurredAt)
            changed.Add("occurredAt");
        if (!string.Equals(stored.Source, incoming.Source, StringComparison.Ordinal))
            changed.Add("source");
        if (!JsonElement.DeepEquals(stored.Attributes, incoming.Attributes))
            changed.Add("attributes");
        return changed.Count == 0 ? null : changed;
    }

    /// <summary>
    /// The event a stored body holds; a body that holds none (not JSON, or without a string id, customerId, type or
    /// occurredAt) throws a <see cref="JsonException"/> or <see cref="FormatException"/> saying so.
    /// </summary>
    internal static CrmEvent ParseStored(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        if (e.ValueKind != JsonValueKind.Object)
            throw new FormatException("the stored body is not a JSON object.");
        string Required(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new FormatException($"the stored body has no string '{name}'.");
        var attributes = e.TryGetProperty("attributes", out var a) && a.ValueKind == JsonValueKind.Object ? a.Clone() : EmptyAttributes;
        var source = e.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        return new CrmEvent(
            Required("id"),
            Required("customerId"),
            Required("type"),
            // The intake's rule, not DateTimeOffset.Parse (which rounds an 8th and 9th digit the intake dropped); not its
            // stricter format check: a body an earlier build accepted reads back as it was accepted.
            EventParser.TryParseInstant(Required("occurredAt"), out var occurredAt)
                ? occurredAt
                : throw new FormatException($"the stored body's occurredAt '{Required("occurredAt")}' is not a timestamp."),
            source,
            attributes);
    }

    private static readonly JsonElement EmptyAttributes = JsonDocument.Parse("{}").RootElement.Clone();
}
