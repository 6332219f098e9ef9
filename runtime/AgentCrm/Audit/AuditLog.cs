using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentCrm.Server;
using AgentCrm.Storage;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Audit;

public sealed record AuditRecord(long Seq, DateTimeOffset At, string Actor, string Action, string Subject, JsonElement Data, string PrevHash, string Hash);

public sealed record AuditQuery(string? Subject, string? Action, DateTimeOffset? Since, int Limit, long? AfterSeq, string? Actor = null);

/// <summary>
/// The outcome of <see cref="AuditLog.Verify()"/>: ok with the chain's head (its last record's seq and hash, null for an empty
/// log), or the first record that breaks the chain and why.
/// </summary>
/// <para>A chain intact whose records no longer match the rows they audited (a brief, its status, a live key edited in the
/// database) is not ok either: <see cref="Differences"/> names each (at most <see cref="AuditedState.MaxDifferences"/>),
/// <see cref="BrokenAt"/> is the record the first one differs from, and <see cref="Head"/> is still the chain's head, unless an
/// anchor failed too (<see cref="AuditLog.CheckAnchors"/>: its failure is the reason, then the differences). A pass that met data
/// it could not read (a cell of the database edited into something else) is not ok, with neither head nor broken record.</para>
[Server.OpenApiAlwaysSent]
public sealed record AuditVerification(bool Ok, long Records, long? BrokenAt = null, string? Reason = null, AuditAnchor? Head = null,
    IReadOnlyList<string>? Differences = null)
{
    /// <summary>What failed, in one sentence as the CLI prints it; null when ok.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? Problem => Ok ? null
        // An empty log has no head: its differences (rows with no record) are still a mismatch, unless an anchor failed.
        : Differences is { Count: > 0 } && (Head is not null || (Records == 0 && BrokenAt is null)) ? $"the audit log does not match the database: {Reason}"
        : BrokenAt is { } at ? $"the audit chain is broken at record {at}: {Reason}"
        : $"the audit log could not be verified: {Reason}";
}

/// <summary>
/// A record's seq and hash as a verify reported them (its head), kept where the server cannot write. A later verify given
/// the anchor proves the log up to that record unchanged, even against someone who rewrote the records and the head together.
/// Written and read as <c>SEQ:HASH</c>, the form the head is printed in.
/// </summary>
public sealed record AuditAnchor(long Seq, string Hash)
{
    public override string ToString() => $"{Seq}:{Hash}";

    /// <summary>Why <paramref name="text"/> is not an anchor (<c>SEQ:HASH</c>, HASH 64 hexadecimal digits), or null with the anchor.</summary>
    public static string? Parse(string text, out AuditAnchor? anchor)
    {
        anchor = null;
        var colon = text.IndexOf(':');
        if (colon < 0)
            return $"'{Server.Problems.Clip(text, 80)}' is not SEQ:HASH (the head a verify prints, e.g. 1234:9f86d0…).";
        if (SeqProblem(text[..colon], out var seq) is { } seqProblem)
            return seqProblem;
        if (HashProblem(text[(colon + 1)..]) is { } hashProblem)
            return hashProblem;
        anchor = new AuditAnchor(seq, text[(colon + 1)..].ToLowerInvariant());
        return null;
    }

    public static string? SeqProblem(string text, out long seq) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out seq) && seq >= 1 ? null
        : $"the record number '{Server.Problems.Clip(text, 80)}' is not a whole number of 1 or more.";

    public static string? HashProblem(string? hash) =>
        hash is { Length: 64 } && hash.All(char.IsAsciiHexDigit) ? null
        : $"the hash '{Server.Problems.Clip(hash ?? "", 80)}' is not 64 hexadecimal digits (a SHA-256, as verify prints it).";
}

/// <summary>
/// Append-only audit records, each hash-chained to the one before it: hash = SHA-256 over the record's fields, each
/// prefixed with its length (<see cref="Hash"/>; logs from before 2026-12-06 begin with records of <see cref="LegacyHash"/>,
/// which verify accepts only before a log's first record of the current format). Appends run inside group-commit operations and read
/// the previous hash inside the same transaction, so a rolled-back operation never breaks the chain.
/// The head (last seq and hash) is also kept in <c>meta</c>, so removing the newest records is detected too. What the records
/// say about rows that change (a brief's body and status, a live key's role and secret hash) is held against those rows by
/// <see cref="AuditedState"/> in the same read.
/// </summary>
public sealed class AuditLog(SqliteDatabase database)
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
    private const string HeadKey = "audit.head";
    private static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Appends a record in the caller's transaction. With <paramref name="onceKey"/>, a record already written under that key
    /// is not written again (a redelivered event after a crash repeats the turn that recorded it); returns whether it was written.
    /// <paramref name="at"/> earlier than the record before it is written as that record's time (<see cref="InLogOrder"/>).
    /// </summary>
    public bool Append(WriteContext ctx, string actor, string action, string subject, IReadOnlyDictionary<string, object?> data, DateTimeOffset at, string? onceKey = null)
    {
        if (onceKey is not null && ctx.Execute("INSERT OR IGNORE INTO audit_once (key) VALUES ($k)", ("$k", onceKey)) == 0)
            return false;
        // Chain from the recorded head, not from whatever row is last: if someone removed the newest
        // records, the next record still links to the removed one and verify reports the gap.
        var head = ctx.Command("SELECT value FROM meta WHERE key = $k", "$k");
        head.Parameters["$k"].Value = HeadKey;
        long seq = 1;
        var prev = Genesis;
        var stored = head.ExecuteScalar();
        if (ParseHead(stored) is { } recorded)
        {
            (seq, prev) = (recorded.Seq + 1, recorded.Hash);
            at = InLogOrder(ctx, recorded.Seq, at);
        }
        else
        {
            // No head but records: someone removed the head (with the newest records, or alone, so that this write would
            // continue from the last row left and verify pass again), or overwrote it with something that is not SEQ:HASH.
            // The chain goes on, so the server keeps working, but first with a record that says so, which verify reports for
            // good (HeadLostAction).
            using var reader = ctx.Command("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").ExecuteReader();
            if (reader.Read())
            {
                var lastSeq = reader.GetInt64(0);
                var lastHash = reader.GetString(1);
                reader.Close();
                at = InLogOrder(ctx, lastSeq, at);
                var lost = new Dictionary<string, object?> { ["lastRecord"] = lastSeq, ["lastHash"] = lastHash };
                if (stored is not (null or DBNull))
                    lost["malformedHead"] = stored is string text ? Server.Problems.Clip(text, 80) : HeadText(stored);
                var lostHash = Write(ctx, lastSeq + 1, lastHash, SystemActor, HeadLostAction, "audit", JsonSerializer.Serialize(lost, DataJson), at);
                (seq, prev) = (lastSeq + 2, lostHash);
            }
        }
        Write(ctx, seq, prev, actor, action, subject, JsonSerializer.Serialize(data, DataJson), at);
        return true;
    }

    /// <summary>How far behind the record before it a record's <c>at</c> is moved up (see <see cref="InLogOrder"/>).</summary>
    public static readonly TimeSpan MaxReorder = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The time to write a record with, no earlier than that of record <paramref name="previous"/> (the one it follows), so
    /// <c>at</c> does not go back in <c>seq</c> order and a tool polling <c>GET /v1/audit?since=</c> with the newest
    /// <c>at</c> it saw misses nothing. Callers stamp their time before their write runs (a brief when it is composed, before
    /// its citation search; an operation before it waits for the writer), so records reached the log up to ~0.75 s out of
    /// that order under load and a poller lost ~30% of them (qa37c). Read from the log in the write's transaction, it holds
    /// across processes writing the same directory (the server and the CLI: SQLite runs their writes one after another,
    /// each taking the next seq from the head). As with briefs (<c>BriefStore.MaxReorder</c>), only a time at most
    /// <see cref="MaxReorder"/> behind is moved: further is a clock stepped back (or a directory restored from a host whose
    /// clock ran ahead), and pinning every record to a time ahead would misdate them; the order follows the clock again from
    /// there. A previous record whose time cannot be read (edited by hand: verify names it) moves nothing.
    /// </summary>
    private static DateTimeOffset InLogOrder(WriteContext ctx, long previous, DateTimeOffset at)
    {
        var read = ctx.Command("SELECT at FROM audit WHERE seq = $s", "$s");
        read.Parameters["$s"].Value = previous;
        if (read.ExecuteScalar() is not string stored
            || !DateTimeOffset.TryParse(stored, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var before))
            return at;
        var late = before - at;
        return late > TimeSpan.Zero && late <= MaxReorder ? before : at;
    }

    /// <summary>
    /// The head <c>meta audit.head</c> holds (<c>SEQ:HASH</c>, as <see cref="Write"/> keeps it), or null when it holds none or
    /// something else: a value edited by hand (<c>garbage</c>, a bare number, one past a 64-bit seq, not text).
    /// </summary>
    private static AuditAnchor? ParseHead(object? stored) =>
        stored is string text && text.IndexOf(':') is > 0 and var colon && colon < text.Length - 1
        && long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var seq) && seq is >= 1 and < long.MaxValue
            ? new AuditAnchor(seq, text[(colon + 1)..])
            : null;

    /// <summary>A head's stored value as a message quotes it: its text clipped, or its type when it is not text.</summary>
    private static string HeadText(object stored) =>
        stored is string text ? $"'{Server.Problems.Clip(text, 80)}'" : $"a {(stored is byte[] ? "blob" : stored.GetType().Name)}, not text";

    /// <summary>The actor of the records the log writes about itself.</summary>
    public const string SystemActor = "system:audit";

    /// <summary>
    /// The record written when a write found records but no head (<c>meta audit.head</c> deleted, or malformed; its data then
    /// carries the value found as <c>malformedHead</c>): verify reports the chain
    /// broken at it, since the records that followed the last one left may have been removed with the head.
    /// </summary>
    public const string HeadLostAction = "audit.head_lost";

    /// <summary>Writes one record after <paramref name="prev"/> and makes it the head; returns its hash.</summary>
    private static string Write(WriteContext ctx, long seq, string prev, string actor, string action, string subject, string json, DateTimeOffset at)
    {
        var when = at.ToUniversalTime().ToString("O");
        var hash = Hash(seq, when, actor, action, subject, json, prev);
        ctx.Execute("INSERT INTO audit (seq, at, actor, action, subject, data, prev_hash, hash) VALUES ($s, $at, $a, $ac, $su, $d, $p, $h)",
            ("$s", seq), ("$at", when), ("$a", actor), ("$ac", action), ("$su", subject), ("$d", json), ("$p", prev), ("$h", hash));
        ctx.Execute("INSERT INTO meta (key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            ("$k", HeadKey), ("$v", $"{seq}:{hash}"));
        return hash;
    }

    /// <summary>
    /// A record's hash as this build writes it (format 2, from 2026-12-06): SHA-256 over the UTF-8 of <c>audit/2</c> followed,
    /// for each field in the order seq, at, actor, action, subject, data, prevHash, by <c>|</c>, the field's length in UTF-8
    /// bytes, <c>:</c> and the field. Each length says where its field ends, so text moved from one field to the next
    /// changes the hash, whatever the fields hold (<see cref="LegacyHash"/> joined them with <c>|</c>, which a customer id
    /// may hold: an action edited to end in <c>|customer:acme</c> and a subject cut to match hashed alike).
    /// </summary>
    public static string Hash(long seq, string at, string actor, string action, string subject, string data, string prev)
    {
        var line = new StringBuilder(HashFormat, 160 + data.Length);
        ReadOnlySpan<string> fields = [seq.ToString(CultureInfo.InvariantCulture), at, actor, action, subject, data, prev];
        foreach (var field in fields)
            line.Append(CultureInfo.InvariantCulture, $"|{Encoding.UTF8.GetByteCount(field)}:").Append(field);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(line.ToString())));
    }

    /// <summary>What <see cref="Hash"/>'s input starts with: its format, never the start of a <see cref="LegacyHash"/> input (a number).</summary>
    private const string HashFormat = "audit/2";

    /// <summary>
    /// A record's hash as builds before 2026-12-06 wrote it (format 1): SHA-256 over "seq|at|actor|action|subject|data|prevHash",
    /// the fields not escaped. Verify accepts it for the records of a log before its first <see cref="Hash"/> record only:
    /// the records an older build wrote, which keep their hashes (and the anchors taken on them) across the upgrade.
    /// </summary>
    public static string LegacyHash(long seq, string at, string actor, string action, string subject, string data, string prev) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{seq}|{at}|{actor}|{action}|{subject}|{data}|{prev}")));

    /// <summary>
    /// Why a record with the <paramref name="stored"/> hash breaks the chain, or null when it holds: its <see cref="Hash"/>, or,
    /// before the log's first record of that format (<paramref name="current"/> false; true once one held), its
    /// <see cref="LegacyHash"/>, and then its action without <c>|</c> and its data a JSON object as every build writes them:
    /// the old hash cannot tell which field a <c>|</c> belongs to, and those catch the edits that move one across. A record
    /// of the old format after one of the current is refused: it would let an edit of the newer records keep its hash.
    /// </summary>
    private static string? RecordHashProblem(ref bool current, long seq, string at, string actor, string action, string subject, string data, string prev, string stored)
    {
        const string changed = "was changed after it was written";
        if (!current && LegacyHash(seq, at, actor, action, subject, data, prev) == stored)
            return action.Contains('|') ? $"record {seq} {changed} (its action holds '|': its hash, of the format builds before 2026-12-06 wrote, does not tell which field a '|' belongs to)."
                : !IsJsonObject(data) ? $"record {seq} {changed} (its data is not a JSON object: its hash, of the format builds before 2026-12-06 wrote, does not tell which field a '|' belongs to)."
                : null;
        if (Hash(seq, at, actor, action, subject, data, prev) == stored)
        {
            current = true;
            return null;
        }
        return current && LegacyHash(seq, at, actor, action, subject, data, prev) == stored
            ? $"record {seq} is hashed in the format of builds before 2026-12-06 after records in the current one: a build from before wrote it, or it was forged (an edit that keeps an old-format hash)."
            : $"record {seq} {changed} (its content does not match its hash).";
    }

    private static bool IsJsonObject(string data)
    {
        try
        {
            using var parsed = JsonDocument.Parse(data);
            return parsed.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Records newest first, filtered; <c>subject</c> matches exactly or as a prefix ending in <c>*</c>, <c>action</c> and <c>actor</c> exactly.</summary>
    public IReadOnlyList<AuditRecord> Query(AuditQuery q)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        Prepare(cmd, q);
        using var reader = cmd.ExecuteReader();
        var list = new List<AuditRecord>();
        while (reader.Read())
        {
            list.Add(new AuditRecord(reader.GetInt64(0), At(reader.GetString(1)), reader.GetString(2),
                reader.GetString(3), reader.GetString(4), Data(reader.GetString(5)), reader.GetString(6), reader.GetString(7)));
        }
        return list;
    }

    /// <summary>
    /// A record's data as stored, or, when it is not JSON (someone edited the file: verify names the record), an object saying
    /// so with the stored text's start: the list shows the record instead of failing for all the others.
    /// </summary>
    private static JsonElement Data(string stored)
    {
        try
        {
            using var data = JsonDocument.Parse(stored);
            return data.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(new Dictionary<string, string>
            {
                ["unreadable"] = "The stored data is not JSON (the record was changed after it was written; audit verify names it).",
                ["stored"] = Server.Problems.Clip(stored, 200),
            });
        }
    }

    /// <summary>A record's time, or the earliest time when the stored one was edited into something else (verify names the record).</summary>
    private static DateTimeOffset At(string stored) =>
        DateTimeOffset.TryParse(stored, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? at : DateTimeOffset.MinValue;

    /// <summary>Records of a subject prefix few enough to read from its index and sort, rather than walk the log for.</summary>
    private const int FewRecords = Paging.SeqFloorProbe;

    /// <summary>
    /// The query <see cref="Query"/> runs: its text and parameters on <paramref name="cmd"/>, whose connection it may ask how
    /// many records a subject prefix has (up to <see cref="FewRecords"/>) to choose how the list is read.
    /// </summary>
    internal static void Prepare(Microsoft.Data.Sqlite.SqliteCommand cmd, AuditQuery q)
    {
        var where = new List<string>();
        if (q.Subject is { } subject)
        {
            if (subject.EndsWith('*'))
            {
                where.Add("substr(subject, 1, length($su)) = $su");
                cmd.Parameters.AddWithValue("$su", subject[..^1]);
                // A prefix few records have (key:*) is read from its range of audit_subject and sorted, not found by walking
                // the whole log; one many have (customer:*) is walked newest first, which its records end early. The range
                // ends at the prefix with its last character raised by one (UTF-8 keeps that order below the surrogates).
                if (subject.Length > 1 && subject[^2] < '\uD7FF')
                {
                    const string range = "SELECT seq FROM audit INDEXED BY audit_subject WHERE subject >= $sulo AND subject < $suhi";
                    cmd.Parameters.AddWithValue("$sulo", subject[..^1]);
                    cmd.Parameters.AddWithValue("$suhi", string.Concat(subject.AsSpan(0, subject.Length - 2), [(char)(subject[^2] + 1)]));
                    using var probe = cmd.Connection!.CreateCommand();
                    probe.CommandText = $"SELECT count(*) FROM ({range} LIMIT {FewRecords})";
                    probe.Parameters.AddWithValue("$sulo", cmd.Parameters["$sulo"].Value);
                    probe.Parameters.AddWithValue("$suhi", cmd.Parameters["$suhi"].Value);
                    if ((long)probe.ExecuteScalar()! < FewRecords)
                        where.Add($"seq IN ({range})");
                }
            }
            else
            {
                where.Add("subject = $su");
                cmd.Parameters.AddWithValue("$su", subject);
            }
        }
        if (q.Action is { } action)
        {
            // With an exact subject, its index finds the few records of that subject; "+" keeps the planner off audit_action,
            // which would walk every record of a common action (brief.created) newest first instead.
            where.Add(q.Subject is { } exact && !exact.EndsWith('*') ? "+action = $ac" : "action = $ac");
            cmd.Parameters.AddWithValue("$ac", action);
        }
        if (q.Actor is { } actor)
        {
            // Exact: who did it (key:NAME, cli:USER, agent:ID@VERSION); audit_actor finds a rare actor's records without walking the
            // log, and, as for the action, an exact subject's index leads when there is one.
            where.Add(q.Subject is { } exactSubject && !exactSubject.EndsWith('*') ? "+actor = $actor" : "actor = $actor");
            cmd.Parameters.AddWithValue("$actor", actor);
        }
        if (q.Since is { } since)
        {
            // "+": the list walks by seq, audit_at only bounds that walk (a recent or future since otherwise reads the whole log).
            where.Add("+at >= $since AND seq >= " + Paging.SeqFloor("audit", "audit_at", "at >= $since"));
            cmd.Parameters.AddWithValue("$since", since.ToUniversalTime().ToString("O"));
        }
        if (q.AfterSeq is { } after)
        {
            where.Add("seq < $after");
            cmd.Parameters.AddWithValue("$after", after);
        }
        cmd.CommandText = $"SELECT seq, at, actor, action, subject, data, prev_hash, hash FROM audit {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY seq DESC LIMIT $limit";
        cmd.Parameters.AddWithValue("$limit", q.Limit);
    }

    private readonly Lock _verifyLock = new();
    private Task<AuditVerification>? _verifying;
    private long _verifyPasses;

    /// <summary>Passes of <see cref="Verify()"/> started since this log was built.</summary>
    internal long VerifyPasses => Interlocked.Read(ref _verifyPasses);

    /// <summary>
    /// <see cref="Verify()"/> off the caller's thread, one pass at a time: a caller arriving while a pass runs shares it (and
    /// its answer, the chain as it stood when that pass began) instead of starting another full read of the log.
    /// </summary>
    public Task<AuditVerification> VerifyAsync()
    {
        lock (_verifyLock)
        {
            if (_verifying is null || _verifying.IsCompleted)
                _verifying = Task.Run(Verify);
            return _verifying;
        }
    }

    /// <summary>
    /// Recomputes the chain from the first record: sequence numbers must be consecutive from 1, each
    /// record must link to its predecessor's hash and hash to its stored value, and the last one must be
    /// the recorded head. Reports the first record that breaks any of these.
    /// </summary>
    public AuditVerification Verify()
    {
        Interlocked.Increment(ref _verifyPasses);
        using var connection = database.Open();
        var pass = Verify(connection, anchors: null);
        LastVerification = pass;
        if (pass.Ok)
            Volatile.Write(ref _reported, null);
        return pass;
    }

    private string? _reported;
    private string? _reportedAnchored;

    /// <summary>
    /// Whether a verify on request is the first to report <paramref name="answered"/>'s break since it was last found intact
    /// (or broke another way), so it is logged once however many callers share the pass or poll verify. A break only anchors
    /// find (<paramref name="chain"/> held) is remembered apart: the chain's own pass, intact, would forget it every time.
    /// </summary>
    internal bool FirstReportOf(AuditVerification chain, AuditVerification answered)
    {
        if (answered.Ok)
        {
            Volatile.Write(ref _reportedAnchored, null);
            return false;
        }
        ref var reported = ref chain.Ok ? ref _reportedAnchored : ref _reported;
        return Interlocked.Exchange(ref reported, answered.Problem) != answered.Problem;
    }

    /// <summary>The answer of the latest <see cref="Verify()"/> pass of this log (in this process), or null before one ended.</summary>
    public AuditVerification? LastVerification { get => Volatile.Read(ref _last); internal set => Volatile.Write(ref _last, value); }

    private AuditVerification? _last;

    /// <summary>
    /// <see cref="Verify()"/> on a connection of its own (the CLI opens a data directory, or a backup, read-only), holding the
    /// log to <paramref name="anchors"/> in the same read (<see cref="CheckAnchors"/>).
    /// </summary>
    public static AuditVerification Verify(SqliteConnection connection, IReadOnlyCollection<AuditAnchor>? anchors = null)
    {
        try
        {
            using var tx = connection.BeginTransaction(deferred: true);
            var pass = AuditedState.Check(connection, tx, Verify(connection, tx));
            return anchors is { Count: > 0 } ? CheckAnchors(connection, pass, anchors, tx) : pass;
        }
        catch (Exception ex) when (!IsUnavailable(ex))
        {
            // Data this pass did not expect (a cell edited into another type or form): the log is not shown intact, and the
            // caller gets the reason in one line, not a failure of its own (an HTTP 500, the gauge left at the last pass).
            return new(false, 0, Reason: $"verify stopped at data it cannot read ({ex.GetType().Name}: {ex.Message.TrimEnd('.')}); the database was changed by hand.");
        }
    }

    /// <summary>
    /// Whether <paramref name="ex"/> means the database could not be read at all (busy, out of memory, an I/O error, a damaged
    /// or foreign file, a stop): the pass did not run, which callers report as such, rather than a log that is not intact.
    /// </summary>
    private static bool IsUnavailable(Exception ex) => ex switch
    {
        SqliteException s => (s.SqliteErrorCode & 0xFF) is 5 or 6 or 7 or 10 or 11 or 13 or 14 or 26,
        _ => ex is IOException or UnauthorizedAccessException or OperationCanceledException or ObjectDisposedException or OutOfMemoryException,
    };

    private static AuditVerification Verify(SqliteConnection connection, SqliteTransaction tx)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        // Every field is written as text: one stored as another type (a blob of the same bytes) reads and hashes alike, but the
        // row checks' queries (action = 'key.revoked', subject = 'brief:…') pass it by, so a record could be hidden from them.
        cmd.CommandText = """
            SELECT seq, at, actor, action, subject, data, prev_hash, hash,
                   typeof(at) = 'text' AND typeof(actor) = 'text' AND typeof(action) = 'text' AND typeof(subject) = 'text'
                   AND typeof(data) = 'text' AND typeof(prev_hash) = 'text' AND typeof(hash) = 'text'
            FROM audit ORDER BY seq
            """;
        long expected = 1;
        var prev = Genesis;
        var current = false;
        using (var reader = cmd.ExecuteReader())
            while (reader.Read())
            {
                var seq = reader.GetInt64(0);
                // Rows come in seq order, so one numbered below the next expected is a number the log never writes (0 or less).
                if (seq < expected)
                    return new(false, 0, 1, $"a record numbered {seq} was inserted (the log numbers its records from 1).");
                if (seq != expected)
                    return new(false, expected - 1, expected, $"record {expected} is missing (the next stored record is {seq}).");
                if (reader.GetString(6) != prev)
                    return new(false, expected - 1, seq, $"record {seq} does not link to the hash of record {seq - 1} (a record was removed, reordered or changed).");
                if (reader.GetInt64(8) == 0)
                    return new(false, expected - 1, seq, $"record {seq} was changed after it was written (a field is stored as another type than text).");
                var hash = reader.GetString(7);
                if (RecordHashProblem(ref current, seq, reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), prev, hash) is { } problem)
                    return new(false, expected - 1, seq, problem);
                if (reader.GetString(3) == HeadLostAction)
                    return new(false, expected - 1, seq, $"record {seq} was written when the chain's head (meta audit.head) was missing or malformed: it had been deleted or overwritten, and records after record {seq - 1} may have been removed with it.");
                prev = hash;
                expected++;
            }
        var count = expected - 1;
        using var head = connection.CreateCommand();
        head.Transaction = tx;
        head.CommandText = "SELECT value FROM meta WHERE key = $k";
        head.Parameters.AddWithValue("$k", HeadKey);
        var stored = head.ExecuteScalar();
        if (stored is null or DBNull)
            return count == 0 ? new(true, 0) : new(false, count, count, "the chain's head is not recorded.");
        if (ParseHead(stored) is not { } recorded)
            return new(false, count, count, $"the chain's head record is malformed (meta audit.head holds {HeadText(stored)}, not SEQ:HASH).");
        var headSeq = recorded.Seq;
        if (headSeq != count || recorded.Hash != prev)
            return new(false, count, Math.Min(headSeq, count + 1), headSeq > count
                ? $"records {count + 1} to {headSeq} were removed (the chain's head is record {headSeq})."
                : $"the last record {count} is not the recorded head.");
        return new(true, count, Head: new AuditAnchor(count, prev));
    }

    /// <summary>
    /// A verification that also holds the log to <paramref name="anchors"/>: on a chain that verified, the stored hash of each
    /// anchored record must be the anchored one (the chain checked, a record's stored hash is the one recomputed from the
    /// genesis up to it, so a different one means the log up to there was rewritten, head and all). An anchor past the
    /// verified records means records were removed, unless they were written after <paramref name="pass"/> began: the
    /// caller passes <paramref name="pass"/> from a verification begun after it obtained the anchors. A chain that verified but
    /// whose rows differ from their records is held to the anchors too: a failed anchor is the reason then, the differences
    /// after it (removing the newest records and resetting the head leaves rows they audited different, qa33d).
    /// </summary>
    public static AuditVerification CheckAnchors(SqliteConnection connection, AuditVerification pass, IReadOnlyCollection<AuditAnchor> anchors, SqliteTransaction? tx = null)
    {
        // A broken chain is reported at its break (a record past it cannot be held to an anchor), as is a pass that could not read.
        if ((!pass.Ok && pass.Differences is not { Count: > 0 }) || anchors.Count == 0)
            return pass;
        AuditVerification Failed(long at, string reason) => pass with
        {
            Ok = false, BrokenAt = at, Head = null,
            Reason = pass.Ok ? reason : $"{reason} Besides, {pass.Reason}",
        };
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT hash FROM audit WHERE seq = $s";
        var seqParameter = cmd.Parameters.Add("$s", SqliteType.Integer);
        foreach (var anchor in anchors.OrderBy(a => a.Seq))
        {
            if (anchor.Seq > pass.Records)
                return Failed(pass.Records + 1,
                    $"record {anchor.Seq} is anchored but the log holds {pass.Records} records: records from {pass.Records + 1} on were removed, head and all, "
                        + "or the data directory was restored from a backup taken before the anchor.");
            seqParameter.Value = anchor.Seq;
            var stored = cmd.ExecuteScalar() as string;
            // Both lower-case: stored hashes are written so, anchors are read so (AuditAnchor.Parse, the API).
            if (!string.Equals(stored, anchor.Hash, StringComparison.Ordinal))
                return Failed(anchor.Seq,
                    $"record {anchor.Seq} hashes to {stored}, not to its anchor {anchor.Hash}: the log up to record {anchor.Seq} was rewritten after the anchor was taken "
                        + "(records and head recomputed), or the data directory was restored from a backup taken before the anchor and written to since: "
                        + "verify again with the backup's head as the only anchor, which holds after a restore (README, \"Restoring an older backup\").");
        }
        return pass;
    }
}
