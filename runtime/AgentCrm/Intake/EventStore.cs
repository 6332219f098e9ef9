using System.Text.Json;
using AgentCrm.Agents.Customers;
using AgentCrm.Storage;

namespace AgentCrm.Intake;

/// <summary>
/// An event as stored in the inbox, with its delivery sequence and, when the inbox numbers each customer's events
/// (<see cref="EventNumbering"/>), its number among that customer's events here (1, 2, 3, …; 0 when not numbered).
/// </summary>
public sealed record StoredEvent(long Seq, CrmEvent Event, DateTimeOffset ReceivedAt, long CustomerSeq = 0);

/// <summary>
/// Under Dapr the inbox numbers each customer's events as it accepts them, so the actor can tell any redelivery from
/// pub/sub (at least once, any order, a republish from the watermark after a crash) from a new event, exactly.
/// The embedded host delivers in inbox order and needs no numbering.
/// </summary>
public sealed record EventNumbering(bool PerCustomer);

public sealed record AppendResult(int Accepted, int Duplicates, long LastSeq);

/// <summary>
/// The durable inbox. Append is one group-commit operation per request (all of a request's events or
/// none); the unique event id makes redelivery by a client harmless.
/// </summary>
public sealed class EventStore(SqliteDatabase database, SqliteWriter writer, TimeProvider time, EventNumbering? numbering = null)
{
    private const string InsertSql =
        "INSERT OR IGNORE INTO events (id, customer_id, type, occurred_at, received_at, body) VALUES ($id, $c, $t, $o, $r, $b) RETURNING seq";

    private const string NextCustomerSeqSql =
        "INSERT INTO customer_seqs (customer_id, last) VALUES ($c, 1) ON CONFLICT(customer_id) DO UPDATE SET last = last + 1 RETURNING last";

    private const string CustomerSeqSql = "INSERT INTO event_customer_seqs (seq, customer_seq) VALUES ($s, $n)";

    private readonly bool _numbered = numbering?.PerCustomer ?? false;
    private string? _sourceId;

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

    public async Task<AppendResult> AppendAsync(IReadOnlyList<IncomingEvent> events, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var receivedAt = now.ToString("O");
        return await writer.WriteAsync(ctx =>
        {
            var cmd = ctx.Command(InsertSql, "$id", "$c", "$t", "$o", "$r", "$b");
            var next = _numbered ? ctx.Command(NextCustomerSeqSql, "$c") : null;
            var number = _numbered ? ctx.Command(CustomerSeqSql, "$s", "$n") : null;
            int accepted = 0, duplicates = 0;
            var stored = new List<StoredEvent>(events.Count);
            foreach (var e in events)
            {
                cmd.Parameters["$id"].Value = e.Event.Id;
                cmd.Parameters["$c"].Value = e.Event.CustomerId;
                cmd.Parameters["$t"].Value = e.Event.Type;
                cmd.Parameters["$o"].Value = e.Event.OccurredAt.ToString("O");
                cmd.Parameters["$r"].Value = receivedAt;
                cmd.Parameters["$b"].Value = e.Json;
                if (cmd.ExecuteScalar() is long seq)
                {
                    accepted++;
                    long customerSeq = 0;
                    if (next is not null && number is not null)
                    {
                        // In the same transaction as the event: a number is never lost or given twice.
                        next.Parameters["$c"].Value = e.Event.CustomerId;
                        customerSeq = (long)next.ExecuteScalar()!;
                        number.Parameters["$s"].Value = seq;
                        number.Parameters["$n"].Value = customerSeq;
                        number.ExecuteNonQuery();
                    }
                    stored.Add(new StoredEvent(seq, e.Event, now, customerSeq));
                }
                else
                    duplicates++;
            }
            if (stored.Count > 0)
                ctx.AfterCommit(() =>
                {
                    _ = LastCommittedSeq;
                    Interlocked.Exchange(ref _lastCommittedSeq, stored[^1].Seq);
                    Committed?.Invoke(stored);
                });
            return new AppendResult(accepted, duplicates, stored.Count > 0 ? stored[^1].Seq : 0);
        }).WaitAsync(cancellationToken);
    }

    /// <summary>Events after <paramref name="afterSeq"/> (up to <paramref name="upTo"/>) in delivery order.</summary>
    public List<StoredEvent> ReadAfter(long afterSeq, int limit, long upTo = long.MaxValue)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT e.seq, e.body, e.received_at, coalesce(n.customer_seq, 0) FROM events e LEFT JOIN event_customer_seqs n ON n.seq = e.seq
            WHERE e.seq > $after AND e.seq <= $upTo ORDER BY e.seq LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$after", afterSeq);
        cmd.Parameters.AddWithValue("$upTo", upTo);
        cmd.Parameters.AddWithValue("$limit", limit);
        using var reader = cmd.ExecuteReader();
        var list = new List<StoredEvent>(limit);
        while (reader.Read())
            list.Add(new StoredEvent(reader.GetInt64(0), ParseStored(reader.GetString(1)), DateTimeOffset.Parse(reader.GetString(2), System.Globalization.CultureInfo.InvariantCulture), reader.GetInt64(3)));
        return list;
    }

    /// <summary>The raw events with these ids (evidence for a brief), in delivery order.</summary>
    public List<JsonElement> GetRaw(IEnumerable<string> ids)
    {
        var wanted = ids.Distinct(StringComparer.Ordinal).ToList();
        var list = new List<JsonElement>(wanted.Count);
        if (wanted.Count == 0)
            return list;
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        var names = wanted.Select((_, i) => $"$p{i}").ToList();
        cmd.CommandText = $"SELECT body FROM events WHERE id IN ({string.Join(",", names)}) ORDER BY seq";
        for (var i = 0; i < wanted.Count; i++)
            cmd.Parameters.AddWithValue(names[i], wanted[i]);
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            using var doc = JsonDocument.Parse(reader.GetString(0));
            list.Add(doc.RootElement.Clone());
        }
        return list;
    }

    /// <summary>
    /// This inbox's identity as a source of numbered deliveries: made once, kept in its database. Each instance's data
    /// directory must be its own (a copy would number events the actors already count as delivered from the original).
    /// </summary>
    public string SourceId
    {
        get
        {
            if (Volatile.Read(ref _sourceId) is { } id)
                return id;
            using var connection = database.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "INSERT OR IGNORE INTO meta (key, value) VALUES ('inbox.source', $v); SELECT value FROM meta WHERE key = 'inbox.source'";
            cmd.Parameters.AddWithValue("$v", Guid.NewGuid().ToString("N"));
            id = (string)cmd.ExecuteScalar()!;
            Volatile.Write(ref _sourceId, id);
            return id;
        }
    }

    public long Count() => Scalar("SELECT count(*) FROM events");

    public long MaxSeq() => Scalar("SELECT coalesce(max(seq), 0) FROM events");

    private long Scalar(string sql)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    internal static CrmEvent ParseStored(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        var attributes = e.TryGetProperty("attributes", out var a) && a.ValueKind == JsonValueKind.Object ? a.Clone() : EmptyAttributes;
        var source = e.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        return new CrmEvent(
            e.GetProperty("id").GetString()!,
            e.GetProperty("customerId").GetString()!,
            e.GetProperty("type").GetString()!,
            DateTimeOffset.Parse(e.GetProperty("occurredAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            source,
            attributes);
    }

    private static readonly JsonElement EmptyAttributes = JsonDocument.Parse("{}").RootElement.Clone();
}
