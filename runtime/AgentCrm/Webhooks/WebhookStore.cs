using System.Globalization;
using System.Security.Cryptography;
using AgentCrm.Audit;
using AgentCrm.Storage;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Webhooks;

/// <summary>What <see cref="WebhookStore.CreateAsync"/> did: the subscription stored, or the id of the same one that exists; neither when the cap is reached.</summary>
public sealed record WebhookCreation(WebhookRecord? Hook, string? Existing);

/// <summary>
/// Subscriptions in SQLite, and the feed they deliver. The feed is derived from what a brief's change already writes in
/// its own transaction, the hash-chained audit log (<c>brief.created</c>, <c>brief.approved</c>, <c>brief.vetoed</c>):
/// its sequence is the durable change order, so the event path writes nothing more for webhooks, and a subscription's
/// cursor is the audit sequence up to which it is done.
/// </summary>
public sealed class WebhookStore(SqliteDatabase database, SqliteWriter writer, AuditLog audit, TimeProvider time)
{
    public const string BriefDelivered = "brief.delivered";
    public const string BriefRetracted = "brief.retracted";

    /// <summary>The audit actor of a subscription disabled for failing longer than Webhooks:DisableAfter (no one asked for it).</summary>
    public const string DisableActor = "system:auto-disable";

    /// <summary>
    /// Most audit records a backlog count reads after the cursor (GET, metrics): past them it is a lower bound. Bounded by
    /// records read, not changes found: a CSM's subscription far behind matched few of a million records and read them
    /// all (~1 s each, per scrape and per subscription).
    /// </summary>
    public const int BacklogScanCap = 10_000;

    /// <summary>
    /// The changes a CSM may see, of one subscription, after <c>$after</c> and up to <c>$upTo</c>: briefs stored as
    /// delivered, held briefs approved (pendingReview → delivered), delivered briefs retracted by a veto. Never shadow,
    /// pending or vetoed ones. The audit's primary key walks the range in order ("+" keeps the planner off audit_action,
    /// which would read every brief record after the cursor and sort them for each batch of a large backlog); each record
    /// finds its brief by id. A record whose data is not JSON (damage <c>audit verify</c> names) is passed over: json_extract
    /// raises on it, which stalled every subscription at that record for good. A CSM's subscription takes a change of an account
    /// that is the CSM's now and was given to them before the change was written (the open span of <c>csm_account_spans</c>, in
    /// the audit's order), as their stream does: checked when a batch is read and again before each attempt (<see cref="Current"/>),
    /// so an account taken away sends nothing more, whatever is still pending (access ends with the assignment), and what it
    /// sends does not depend on how far behind it was when an account moved (qa38c #1: the new CSM's receiver, had it been
    /// failing, got the account's older briefs, which the old one had got and the new one's stream never shows).
    /// </summary>
    private const string FeedFrom = """
        FROM audit a JOIN briefs b ON b.id = substr(a.subject, 7)
        WHERE a.seq > $after AND a.seq <= $upTo AND +a.action IN ('brief.created', 'brief.approved', 'brief.vetoed')
          AND ((+a.action = 'brief.created' AND CASE WHEN json_valid(a.data) THEN json_extract(a.data, '$.status') END = 'delivered')
            OR (+a.action = 'brief.approved' AND CASE WHEN json_valid(a.data) THEN json_extract(a.data, '$.from') END = 'pendingReview'
                AND CASE WHEN json_valid(a.data) THEN json_extract(a.data, '$.to') END = 'delivered')
            OR (+a.action = 'brief.vetoed' AND CASE WHEN json_valid(a.data) THEN json_extract(a.data, '$.to') END = 'retracted'))
          AND ($agent IS NULL OR b.agent_id = $agent)
          AND ($csm IS NULL OR EXISTS (SELECT 1 FROM csm_account_spans s WHERE s.csm_id = $csm AND s.customer_id = b.customer_id
                AND s.given_seq < a.seq AND s.taken_seq IS NULL))
        """;

    /// <summary>
    /// The <c>meta</c> counter every create, delete, secret rotation, disable and enable moves, in its transaction, as the registry's
    /// does for agents: a running server's dispatcher notices subscriptions another process (the CLI) added, removed or enabled by it.
    /// </summary>
    private const string VersionKey = "webhooks.version";

    private const string Columns = "id, url, csm_id, agent_id, secret, created_at, created_by, delivered_seq, delivered, last_success_at, last_failure_at, last_error, consecutive_failures, next_attempt_at, previous_secret, previous_secret_until, failing_since, disabled_at, disabled_reason";

    /// <summary>A new secret: 32 random bytes, base64url, prefixed so it is recognisable in a secret store.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private const string IdPrefix = "wh_";
    private const int IdBytes = 10;

    /// <summary>The form of a subscription's id, in words.</summary>
    public const string IdRule = "a webhook id is wh_ followed by lower-case letters and digits (wh_ and 20 hex digits, as `webhooks list` shows it)";

    /// <summary>
    /// Whether <paramref name="id"/> can be a subscription's id: wh_ and 1-64 lower-case letters or digits (the ids
    /// <see cref="CreateAsync"/> gives are wh_ and 20 hex digits). Another names no subscription.
    /// </summary>
    public static bool IsValidId(string id) =>
        id.Length is > 3 and <= 67 && id.StartsWith(IdPrefix, StringComparison.Ordinal) && id[IdPrefix.Length..].All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));

    /// <summary>
    /// Stores a subscription and its audit record in one transaction; it starts at the audit log's head, so it receives
    /// the changes from now on. Nothing is stored when a subscription with the same URL (as <see cref="SameUrl"/> compares
    /// them) and the same CSM and agent exists (<see cref="WebhookCreation.Existing"/>: each change would be sent to it
    /// twice, under two delivery ids), or when <paramref name="max"/> subscriptions exist already (both null). Checked in the
    /// write's transaction, so two concurrent creates of one subscription store one.
    /// </summary>
    public Task<WebhookCreation> CreateAsync(string url, string? csmId, string? agentId, string secret, string actor, int max, CancellationToken cancellationToken) =>
        writer.WriteAsync(ctx =>
        {
            var same = ctx.Command("SELECT id, url FROM webhooks WHERE csm_id IS $c AND agent_id IS $a ORDER BY id", "$c", "$a");
            same.Parameters["$c"].Value = (object?)csmId ?? DBNull.Value;
            same.Parameters["$a"].Value = (object?)agentId ?? DBNull.Value;
            using (var reader = same.ExecuteReader())
            {
                while (reader.Read())
                    if (SameUrl(reader.GetString(1), url))
                        return new WebhookCreation(null, reader.GetString(0));
            }
            var count = ctx.Command("SELECT count(*) FROM webhooks");
            if ((long)count.ExecuteScalar()! >= max)
                return new WebhookCreation(null, null);
            var head = ctx.Command("SELECT coalesce(max(seq), 0) FROM audit");
            var seq = (long)head.ExecuteScalar()!;
            var now = time.GetUtcNow();
            var id = IdPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdBytes));
            ctx.Execute("INSERT INTO webhooks (id, url, csm_id, agent_id, secret, created_at, created_by, delivered_seq) VALUES ($id, $u, $c, $a, $s, $t, $by, $seq)",
                ("$id", id), ("$u", url), ("$c", csmId), ("$a", agentId), ("$s", secret), ("$t", now.ToString("O")), ("$by", actor), ("$seq", seq));
            // The audit record comes after the head is read: this subscription starts after it, never at its own record.
            audit.Append(ctx, actor, "webhook.created", $"webhook:{id}", new Dictionary<string, object?>
            {
                ["url"] = url,
                ["csmId"] = csmId,
                ["agentId"] = agentId,
                ["from"] = seq,
            }, now);
            Bump(ctx);
            return new WebhookCreation(new WebhookRecord(id, url, csmId, agentId, secret, now, actor, seq, 0, null, null, null, 0, null), null);
        }).WaitAsync(cancellationToken);

    /// <summary>
    /// Whether two subscription URLs post to the same place: equal once normalised as <see cref="Uri.AbsoluteUri"/> writes
    /// them (the scheme's and host's case, a default port written out), so <c>https://Example.com:443/x</c> is <c>https://example.com/x</c>.
    /// </summary>
    internal static bool SameUrl(string a, string b) =>
        string.Equals(a, b, StringComparison.Ordinal)
        || (Uri.TryCreate(a, UriKind.Absolute, out var x) && Uri.TryCreate(b, UriKind.Absolute, out var y) && string.Equals(x.AbsoluteUri, y.AbsoluteUri, StringComparison.Ordinal));

    /// <summary>Removes a subscription (audited, with how far it had delivered); false when there is none.</summary>
    public Task<bool> DeleteAsync(string id, string actor, CancellationToken cancellationToken) =>
        writer.WriteAsync(ctx =>
        {
            var read = ctx.Command("SELECT delivered_seq, url FROM webhooks WHERE id = $id", "$id");
            read.Parameters["$id"].Value = id;
            long seq;
            string url;
            using (var reader = read.ExecuteReader())
            {
                if (!reader.Read())
                    return false;
                seq = reader.GetInt64(0);
                url = reader.GetString(1);
            }
            ctx.Execute("DELETE FROM webhooks WHERE id = $id", ("$id", id));
            audit.Append(ctx, actor, "webhook.deleted", $"webhook:{id}", new Dictionary<string, object?> { ["url"] = url, ["deliveredSeq"] = seq }, time.GetUtcNow());
            Bump(ctx);
            return true;
        }).WaitAsync(cancellationToken);

    /// <summary>
    /// Replaces a subscription's secret with <paramref name="secret"/>, in one transaction with its audit record (never a
    /// secret in it) and the change counter; the cursor and the delivery state stay. The secret replaced is still signed
    /// with for <paramref name="overlap"/> (each request carries both signatures), so receivers can move to the new one;
    /// a rotation during an overlap drops the older secret, so a request carries two signatures at most. Null when there
    /// is no such subscription.
    /// </summary>
    public Task<WebhookRecord?> RotateSecretAsync(string id, string secret, TimeSpan overlap, string actor, CancellationToken cancellationToken) =>
        writer.WriteAsync(ctx =>
        {
            var now = time.GetUtcNow();
            DateTimeOffset? until = overlap > TimeSpan.Zero ? now + overlap : null;
            if (ctx.Execute("UPDATE webhooks SET previous_secret = CASE WHEN $until IS NULL THEN NULL ELSE secret END, previous_secret_until = $until, secret = $s WHERE id = $id",
                    ("$until", until?.ToString("O")), ("$s", secret), ("$id", id)) == 0)
                return null;
            var hook = Find(ctx, id)!;
            audit.Append(ctx, actor, "webhook.secret_rotated", $"webhook:{id}", new Dictionary<string, object?>
            {
                ["url"] = hook.Url,
                ["previousSecretValidUntil"] = until,
                ["deliveredSeq"] = hook.DeliveredSeq,
            }, now);
            Bump(ctx);
            return (WebhookRecord?)hook;
        }).WaitAsync(cancellationToken);

    /// <summary>The subscriptions' change counter (0 before the first create): a new value means one was added or removed since.</summary>
    public long Version() => Server.MetaValues.ReadLong(database, VersionKey);

    private static void Bump(WriteContext ctx) =>
        ctx.Execute("INSERT INTO meta (key, value) VALUES ($k, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1", ("$k", VersionKey));

    public IReadOnlyList<WebhookRecord> List()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM webhooks ORDER BY id";
        return Read(cmd);
    }

    public WebhookRecord? Get(string id)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM webhooks WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return Read(cmd).FirstOrDefault();
    }

    /// <summary>One subscription as it stands inside a write's transaction, or null.</summary>
    private static WebhookRecord? Find(WriteContext ctx, string id)
    {
        var read = ctx.Command($"SELECT {Columns} FROM webhooks WHERE id = $id", "$id");
        read.Parameters["$id"].Value = id;
        return Read(read).FirstOrDefault();
    }

    private static List<WebhookRecord> Read(SqliteCommand cmd)
    {
        var list = new List<WebhookRecord>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
            list.Add(new WebhookRecord(reader.GetString(0), reader.GetString(1), Text(reader, 2), Text(reader, 3), reader.GetString(4),
                Time(reader, 5)!.Value, reader.GetString(6), reader.GetInt64(7), reader.GetInt64(8), Time(reader, 9), Time(reader, 10), Text(reader, 11),
                reader.GetInt32(12), Time(reader, 13), Text(reader, 14), Time(reader, 15), Time(reader, 16), Time(reader, 17), Text(reader, 18)));
        return list;
    }

    private static string? Text(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    private static DateTimeOffset? Time(SqliteDataReader reader, int i) =>
        reader.IsDBNull(i) ? null : DateTimeOffset.Parse(reader.GetString(i), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    /// <summary>The audit log's head: every change at or below it is committed (one writer at a time assigns the sequence).</summary>
    public long Head()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT coalesce(max(seq), 0) FROM audit";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>The next changes of <paramref name="hook"/> after <paramref name="after"/> and up to <paramref name="upTo"/>, oldest first.</summary>
    public IReadOnlyList<WebhookChange> Changes(WebhookRecord hook, long after, long upTo, int limit)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        PrepareChanges(cmd, hook, after, upTo, limit);
        var list = new List<WebhookChange>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
            list.Add(new WebhookChange(reader.GetInt64(0), reader.GetString(4), reader.GetString(1) == "brief.vetoed" ? BriefRetracted : BriefDelivered,
                DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind), reader.GetString(3)));
        return list;
    }

    /// <summary>
    /// The change at <paramref name="seq"/> as it stands now, if it is still <paramref name="hook"/>'s (its CSM's account now,
    /// given before the change), with the brief as it is now; null when it no longer is. Checked before each attempt: a batch
    /// waits while its earlier changes are sent or retried, and an assignment or the brief can change meanwhile.
    /// </summary>
    public WebhookChange? Current(WebhookRecord hook, long seq) => Changes(hook, seq - 1, seq, 1).FirstOrDefault();

    /// <summary>The query <see cref="Changes"/> runs: its text and parameters on <paramref name="cmd"/>.</summary>
    internal static void PrepareChanges(SqliteCommand cmd, WebhookRecord hook, long after, long upTo, int limit)
    {
        cmd.CommandText = $"SELECT a.seq, a.action, a.at, b.body, a.hash {FeedFrom} ORDER BY a.seq LIMIT $limit";
        Bind(cmd, hook, after, upTo);
        cmd.Parameters.AddWithValue("$limit", limit);
    }

    /// <summary>
    /// How far behind <paramref name="hook"/> is (GET, the CLI): its changes to send, when the oldest of them was made, and
    /// the audit records after its cursor; and, for a CSM's subscription, how many accounts that CSM has now.
    /// </summary>
    public WebhookBacklog Backlog(WebhookRecord hook) => new(Count(hook), OldestPendingAt(hook), Behind(hook, Head()), CsmAccounts(hook));

    /// <summary>
    /// The accounts assigned now to <paramref name="hook"/>'s CSM, null when it is not a CSM's: a CSM whose accounts were all
    /// taken away later (creation refuses one with none) keeps a subscription that sends nothing, and GET and `webhooks list` say so.
    /// </summary>
    public int? CsmAccounts(WebhookRecord hook)
    {
        if (hook.CsmId is not { } csm)
            return null;
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM csm_accounts WHERE csm_id = $c";
        cmd.Parameters.AddWithValue("$c", csm);
        return (int)(long)cmd.ExecuteScalar()!;
    }

    /// <summary>Changes <paramref name="hook"/> has yet to deliver among the <see cref="BacklogScanCap"/> audit records after its cursor.</summary>
    public long Count(WebhookRecord hook)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        PrepareBacklog(cmd, hook);
        return (long)cmd.ExecuteScalar()!;
    }

    internal static void PrepareBacklog(SqliteCommand cmd, WebhookRecord hook)
    {
        cmd.CommandText = $"SELECT count(*) {FeedFrom}";
        Bind(cmd, hook, hook.DeliveredSeq, hook.DeliveredSeq + BacklogScanCap);
    }

    /// <summary>
    /// When the oldest change <paramref name="hook"/> has yet to deliver was made: the first of its records after the
    /// cursor, found by walking the audit's primary key from there (a receiver that is down holds the cursor just before
    /// it); null when there is none among the <see cref="BacklogScanCap"/> records after the cursor. Its age keeps growing
    /// while that change waits, however large the backlog (the count stops at the cap).
    /// </summary>
    public DateTimeOffset? OldestPendingAt(WebhookRecord hook)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        PrepareOldestPending(cmd, hook);
        return cmd.ExecuteScalar() is string at ? DateTimeOffset.Parse(at, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;
    }

    internal static void PrepareOldestPending(SqliteCommand cmd, WebhookRecord hook)
    {
        cmd.CommandText = $"SELECT a.at {FeedFrom} ORDER BY a.seq LIMIT 1";
        Bind(cmd, hook, hook.DeliveredSeq, hook.DeliveredSeq + BacklogScanCap);
    }

    /// <summary>Audit records after <paramref name="hook"/>'s cursor, up to <paramref name="head"/>: an upper bound of its backlog, never capped.</summary>
    public static long Behind(WebhookRecord hook, long head) => Math.Max(0, head - hook.DeliveredSeq);

    private static void Bind(SqliteCommand cmd, WebhookRecord hook, long after, long upTo)
    {
        cmd.Parameters.AddWithValue("$after", after);
        cmd.Parameters.AddWithValue("$upTo", upTo);
        cmd.Parameters.AddWithValue("$agent", (object?)hook.AgentId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$csm", (object?)hook.CsmId ?? DBNull.Value);
    }

    /// <summary>
    /// Records a delivery the receiver accepted (or, with <paramref name="delivered"/> 0, changes passed over as not this
    /// subscription's): the cursor moves to <paramref name="seq"/>, never back, and failures are cleared (a delivery ends
    /// the failing streak Webhooks:DisableAfter measures). False when the subscription was deleted meanwhile.
    /// </summary>
    public Task<bool> AdvanceAsync(string id, long seq, int delivered) =>
        writer.WriteAsync(ctx => ctx.Execute(
            """
            UPDATE webhooks SET delivered_seq = max(delivered_seq, $seq), delivered = delivered + $n,
                last_success_at = CASE WHEN $n > 0 THEN $t ELSE last_success_at END,
                consecutive_failures = CASE WHEN $n > 0 THEN 0 ELSE consecutive_failures END,
                next_attempt_at = CASE WHEN $n > 0 THEN NULL ELSE next_attempt_at END,
                failing_since = CASE WHEN $n > 0 THEN NULL ELSE failing_since END
            WHERE id = $id
            """,
            ("$seq", seq), ("$n", delivered), ("$t", time.GetUtcNow().ToString("O")), ("$id", id)) > 0);

    /// <summary>
    /// Records a failed attempt and when the next one is due; the first failure since the last success starts the streak
    /// (<c>failing_since</c>). When the streak is longer than <paramref name="disableAfter"/> (0: never), the subscription is
    /// disabled in the same transaction, audited as the system's and counted for the change counter: no further attempt
    /// until it is enabled, its cursor kept. <see cref="WebhookFailureOutcome.Gone"/> when it was deleted or disabled meanwhile.
    /// </summary>
    public Task<(WebhookFailureOutcome Outcome, WebhookRecord? Hook)> FailedAsync(string id, string error, int failures, DateTimeOffset next, TimeSpan disableAfter) =>
        writer.WriteAsync<(WebhookFailureOutcome Outcome, WebhookRecord? Hook)>(ctx =>
        {
            var now = time.GetUtcNow();
            // A failing_since older than the last success is a streak that success ended (an older build does not clear it).
            if (ctx.Execute(
                    """
                    UPDATE webhooks SET last_failure_at = $t, last_error = $e, consecutive_failures = $f, next_attempt_at = $next,
                        failing_since = CASE WHEN failing_since IS NULL OR last_success_at > failing_since THEN $t ELSE failing_since END
                    WHERE id = $id AND disabled_at IS NULL
                    """,
                    ("$t", now.ToString("O")), ("$e", error), ("$f", failures), ("$next", next.ToString("O")), ("$id", id)) == 0)
                return (WebhookFailureOutcome.Gone, null);
            var hook = Find(ctx, id)!;
            if (disableAfter <= TimeSpan.Zero || hook.FailingSince is not { } since || now - since <= disableAfter)
                return (WebhookFailureOutcome.Retrying, hook);
            var reason = $"no successful delivery since its failures began at {since:u}: failing for longer than {disableAfter:c} (Webhooks:DisableAfter); last error: {error}";
            ctx.Execute("UPDATE webhooks SET disabled_at = $t, disabled_reason = $r, next_attempt_at = NULL WHERE id = $id",
                ("$t", now.ToString("O")), ("$r", reason), ("$id", id));
            audit.Append(ctx, DisableActor, "webhook.disabled", $"webhook:{id}", new Dictionary<string, object?>
            {
                ["url"] = hook.Url,
                ["failingSince"] = since,
                ["consecutiveFailures"] = failures,
                ["lastError"] = error,
                ["disableAfter"] = disableAfter.ToString("c", CultureInfo.InvariantCulture),
                ["deliveredSeq"] = hook.DeliveredSeq,
            }, now);
            Bump(ctx);
            return (WebhookFailureOutcome.Disabled, hook with { DisabledAt = now, DisabledReason = reason, NextAttemptAt = null });
        });

    /// <summary>
    /// Enables a disabled subscription (audited, with who did it and since when it was disabled): it resumes from its cursor,
    /// its failures cleared, so the next attempt is at once and Webhooks:DisableAfter measures a new streak from its first
    /// failure. <c>Enabled</c> is false when it was active already (nothing changed, nothing audited); null when there is none.
    /// </summary>
    public Task<(WebhookRecord Hook, bool Enabled)?> EnableAsync(string id, string actor, CancellationToken cancellationToken) =>
        writer.WriteAsync(ctx =>
        {
            if (Find(ctx, id) is not { } hook)
                return null;
            if (hook.DisabledAt is not { } disabledAt)
                return ((WebhookRecord Hook, bool Enabled)?)(hook, false);
            var now = time.GetUtcNow();
            ctx.Execute("UPDATE webhooks SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL, consecutive_failures = 0, next_attempt_at = NULL WHERE id = $id",
                ("$id", id));
            audit.Append(ctx, actor, "webhook.enabled", $"webhook:{id}", new Dictionary<string, object?>
            {
                ["url"] = hook.Url,
                ["disabledAt"] = disabledAt,
                ["deliveredSeq"] = hook.DeliveredSeq,
            }, now);
            Bump(ctx);
            return (hook with { DisabledAt = null, DisabledReason = null, FailingSince = null, ConsecutiveFailures = 0, NextAttemptAt = null }, true);
        }).WaitAsync(cancellationToken);

    /// <summary>Subscriptions disabled for failing longer than Webhooks:DisableAfter (readiness's report, the metrics).</summary>
    public int DisabledCount()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM webhooks WHERE disabled_at IS NOT NULL";
        return (int)(long)cmd.ExecuteScalar()!;
    }
}
