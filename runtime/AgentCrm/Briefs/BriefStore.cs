using System.Text.Json;
using System.Text.Json.Serialization;
using AgentCrm.Actors;
using AgentCrm.Access;
using AgentCrm.Audit;
using AgentCrm.Server;
using AgentCrm.Storage;

namespace AgentCrm.Briefs;

public sealed record BriefQuery(string? CustomerId, string? AgentId, string? Scenario, BriefStatus? Status, DateTimeOffset? Since, int Limit, long? AfterSeq)
{
    /// <summary>When set and the caller is a CSM: only delivered or retracted briefs of the caller's assigned accounts.</summary>
    public Caller? VisibleTo { get; init; }

    /// <summary>When set: only briefs <see cref="VisibleTo"/> has (true) or has not (false) acknowledged.</summary>
    public bool? Acknowledged { get; init; }
}

public sealed record BriefPage(IReadOnlyList<Brief> Items, string? NextCursor);

public enum ReviewVerdict
{
    Veto,
    Approve,
}

/// <summary>A reviewer's request: the verdict, and for a veto its reason and the true label if known.</summary>
public sealed record ReviewRequest(ReviewVerdict Verdict, string Reviewer, string? Reason, string? Note, bool? CorrectLabel);

/// <summary>What a review did: the brief afterwards, whether anything changed, or why it was refused (409).</summary>
public sealed record ReviewOutcome(Brief? Brief, bool Changed, string? Conflict);

/// <summary>Briefs in SQLite: the full brief as JSON plus the columns the filters use; reviews and their feedback cases beside them.</summary>
public sealed class BriefStore(SqliteDatabase database, SqliteWriter writer, AuditLog audit, TimeProvider time)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>
    /// Raised after a brief was stored or changed state (committed), for the brief stream, with the brief's seq (its place
    /// in the list's order, which the stream's overflow notice (<see cref="BriefsApi.Stream"/>) turns into a list cursor)
    /// and the change's position in the stream's order (<c>change_seq</c>: the stream's event ids, <see cref="BriefStreamReplay"/>).
    /// </summary>
    public event Action<Brief, long, long>? Changed;

    /// <summary>Raised on the writer thread when a turn's brief meets its version taken back (<see cref="Add"/> throws then).</summary>
    public event Action? VersionTakenBack;

    /// <summary>The position the triggers gave the brief's latest change (ServerSchema: <c>change_seq</c>), in the write that made it.</summary>
    private static long ChangePosition(WriteContext ctx, long seq)
    {
        var read = ctx.Command("SELECT change_seq FROM briefs WHERE seq = $s", "$s");
        read.Parameters["$s"].Value = seq;
        return (long)read.ExecuteScalar()!;
    }

    /// <summary>
    /// Stores a brief and its audit record in the caller's transaction (the customer actor enlists it in its turn's state
    /// save); a brief with the same id is left as it is. Returns whether it was stored. A brief whose version was taken back
    /// (unregistered, rolled back, suspended) after its turn began throws <see cref="TurnConflictException"/>: nothing of
    /// that turn is saved, and the host runs it again on the agents serving now.
    /// </summary>
    public bool Add(WriteContext ctx, Brief brief, IReadOnlyList<string> eventIds)
    {
        // A turn's state is saved after it leaves the agent set an unregister waits for: without this check, a brief composed
        // just before the unregister was stored after it had answered ("that agent writes nothing more"). Dropping the brief
        // alone kept the turn, so a rollback under load left the events in flight assessed by no version (qa26a: 119 of 50,000).
        if (IsTakenBack(ctx, brief.AgentId, brief.AgentVersion))
        {
            // Taken back by this process, its set is swapped a moment after; by another (the CLI), only once the registry
            // reloads: the watcher does that now instead of at its next poll.
            VersionTakenBack?.Invoke();
            throw new TurnConflictException($"{brief.AgentId}@{brief.AgentVersion} was taken back while a turn of customer {brief.CustomerId} ran it.");
        }
        brief = InStoreOrder(ctx, brief);
        var body = JsonSerializer.Serialize(brief, Json);
        var inserted = ctx.Execute(
            "INSERT OR IGNORE INTO briefs (id, customer_id, agent_id, agent_version, scenario, status, created_at, body) VALUES ($id, $c, $a, $v, $s, $st, $at, $b)",
            ("$id", brief.Id), ("$c", brief.CustomerId), ("$a", brief.AgentId), ("$v", brief.AgentVersion), ("$s", brief.Scenario),
            ("$st", StatusName(brief.Status)), ("$at", brief.CreatedAt.ToUniversalTime().ToString("O")), ("$b", body));
        if (inserted == 0)
            return false;
        var seq = (long)ctx.Command("SELECT last_insert_rowid()").ExecuteScalar()!;
        if (brief.Status is BriefStatus.PendingReview or BriefStatus.Delivered)
            ctx.Execute("INSERT OR IGNORE INTO brief_reviews (brief_id, agent_id, agent_version, review_until) VALUES ($id, $a, $v, $u)",
                ("$id", brief.Id), ("$a", brief.AgentId), ("$v", brief.AgentVersion),
                ("$u", (brief.ReviewUntil ?? brief.CreatedAt).ToUniversalTime().ToString("O")));
        if (brief.Status == BriefStatus.Delivered && brief.ReviewUntil is { } until && until > time.GetUtcNow())
            ctx.Execute("INSERT OR IGNORE INTO review_windows (seq, review_until) SELECT seq, $u FROM briefs WHERE id = $id",
                ("$id", brief.Id), ("$u", until.ToUniversalTime().ToString("O")));
        if (brief.Status == BriefStatus.PendingReview)
            HeldForReview.Add(ctx, seq, brief.AgentId, brief.AgentVersion);
        audit.Append(ctx, $"agent:{brief.AgentId}@{brief.AgentVersion}", "brief.created", $"brief:{brief.Id}", new Dictionary<string, object?>
        {
            ["customerId"] = brief.CustomerId,
            ["agentVersion"] = brief.AgentVersion,
            ["contentHash"] = brief.ContentHash,
            ["score"] = brief.Score,
            ["threshold"] = brief.Threshold,
            ["status"] = StatusName(brief.Status),
            ["eventIds"] = eventIds,
            ["bodyHash"] = AuditedState.Digest(body),
            // The record is stamped when it is written, as every record is (AuditLog.InLogOrder keeps the log's times in seq
            // order); the brief's own time, set when it was composed, before its citation search and commit, is kept here.
            ["createdAt"] = brief.CreatedAt,
        }, time.GetUtcNow());
        var position = ChangePosition(ctx, seq);
        ctx.AfterCommit(() => Changed?.Invoke(brief, seq, position));
        return true;
    }

    /// <summary>How far behind the brief stored before it a brief's <c>createdAt</c> is moved up (see <see cref="InStoreOrder"/>).</summary>
    public static readonly TimeSpan MaxReorder = TimeSpan.FromMinutes(1);

    private readonly Lock _createdGate = new();
    private DateTimeOffset? _lastCreated;

    /// <summary>
    /// The brief with <see cref="Brief.CreatedAt"/> no earlier than that of the brief stored before it (its veto window
    /// moved with it), so the list's order (by seq, newest first) is <c>createdAt</c>'s and a tool polling with <c>since</c>
    /// = the newest <c>createdAt</c> it saw misses nothing. A turn stamps its brief when it composes it, before its citation
    /// search and its commit: briefs of concurrent turns reached the store up to ~60 ms out of that order (qa27c: 31
    /// inversions among 160), so one stored after a later-stamped one fell behind a poller's <c>since</c>. Only a brief at
    /// most <see cref="MaxReorder"/> behind is moved: further is a clock stepped back (or a restored directory from a host
    /// whose clock ran ahead), and pinning every brief to a time ahead would stretch veto windows and mislead pollers; from
    /// there the order follows the clock again. Adds run on the writer thread, one transaction after another; a
    /// transaction that rolls back leaves the floor where its brief put it, which only moves later briefs up to it.
    /// </summary>
    private Brief InStoreOrder(WriteContext ctx, Brief brief)
    {
        lock (_createdGate)
        {
            _lastCreated ??= ctx.Command("SELECT created_at FROM briefs ORDER BY seq DESC LIMIT 1").ExecuteScalar() is string latest
                ? DateTimeOffset.Parse(latest, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind)
                : DateTimeOffset.MinValue;
            var floor = _lastCreated.Value;
            var late = floor - brief.CreatedAt;
            if (late > TimeSpan.Zero && late <= MaxReorder)
                brief = brief with { CreatedAt = floor, ReviewUntil = brief.ReviewUntil + late };
            _lastCreated = brief.CreatedAt;
            return brief;
        }
    }

    /// <summary>
    /// Applies a reviewer's verdict in one transaction: the brief's state, the review record, the labeled
    /// feedback case for the agent, and the audit record. A verdict repeated by the same reviewer changes nothing; by another reviewer it is a conflict.
    /// </summary>
    public async Task<ReviewOutcome> ReviewAsync(string id, ReviewRequest request)
    {
        var now = time.GetUtcNow();
        var outcome = await writer.WriteAsync(ctx =>
        {
            var read = ctx.Command("SELECT seq, body FROM briefs WHERE id = $id", "$id");
            read.Parameters["$id"].Value = id;
            long seq;
            Brief brief;
            using (var row = read.ExecuteReader())
            {
                if (!row.Read())
                    return new ReviewOutcome(null, false, null);
                seq = row.GetInt64(0);
                brief = JsonSerializer.Deserialize<Brief>(row.GetString(1), Json)!;
            }
            var inWindow = brief.ReviewUntil is { } until && now < until;
            var (to, conflict, unchanged) = (request.Verdict, brief.Status) switch
            {
                (ReviewVerdict.Veto, BriefStatus.PendingReview) => (BriefStatus.Vetoed, null, false),
                (ReviewVerdict.Veto, BriefStatus.Delivered) when inWindow => (BriefStatus.Retracted, null, false),
                (ReviewVerdict.Veto, BriefStatus.Delivered) => (brief.Status, brief.ReviewUntil is { } closed
                    ? $"The veto window of brief '{id}' closed at {closed:O}; it can no longer be retracted."
                    : brief.Review is null // delivered by a build from before reviews (2026-11-22): never held, no window
                        ? $"Brief '{id}' has no veto window (a build from before reviews delivered it); it cannot be retracted."
                        : $"Brief '{id}' was approved before delivery; it can no longer be retracted.", false),
                (ReviewVerdict.Veto, BriefStatus.Vetoed or BriefStatus.Retracted) => (brief.Status, null, true),
                (ReviewVerdict.Approve, BriefStatus.PendingReview) => (BriefStatus.Delivered, null, false),
                (ReviewVerdict.Approve, BriefStatus.Delivered) when brief.Review?.Verdict == "approved" => (brief.Status, null, true),
                (ReviewVerdict.Approve, BriefStatus.Delivered) when inWindow => (BriefStatus.Delivered, null, false),
                (ReviewVerdict.Approve, BriefStatus.Delivered) => (brief.Status, brief.ReviewUntil is null && brief.Review is null
                    ? $"Brief '{id}' has no review window (a build from before reviews delivered it); there is nothing to approve."
                    : $"The review window of brief '{id}' has closed.", false),
                (_, var status) => (status, $"Brief '{id}' is {StatusName(status)}, a final state: it cannot be {(request.Verdict == ReviewVerdict.Veto ? "vetoed" : "approved")}.", false),
            };
            // A version taken back (rolled back, unregistered, suspended) must not start delivering again through its held
            // briefs; one superseded by a promotion keeps them (they are still its findings, and a reviewer decides).
            if (conflict is null && !unchanged && request.Verdict == ReviewVerdict.Approve && brief.Status == BriefStatus.PendingReview
                && IsWithdrawn(ctx, brief.AgentId, brief.AgentVersion))
                conflict = $"Agent version '{brief.AgentId}@{brief.AgentVersion}' was rolled back, unregistered or suspended: its held briefs are no longer delivered. A veto still records the brief as a wrong call.";
            // A repeat is the same reviewer's retry; another reviewer's same verdict lost a race (or came late): their reason
            // would not be recorded, so they are told who decided instead of being answered as if theirs had been.
            if (unchanged && brief.Review is { } decided && decided.Reviewer != request.Reviewer)
                conflict = $"Brief '{id}' was already {decided.Verdict} by {decided.Reviewer} at {decided.At:O}; your verdict was not recorded.";
            if (conflict is not null || unchanged)
                return new ReviewOutcome(brief, false, conflict);
            var verdict = request.Verdict == ReviewVerdict.Veto ? "vetoed" : "approved";
            var updated = brief with
            {
                Status = to,
                Review = new BriefReview(verdict, request.Reviewer, now, request.Reason, request.Note, request.CorrectLabel),
            };
            var body = JsonSerializer.Serialize(updated, Json);
            ctx.Execute("UPDATE briefs SET status = $st, body = $b WHERE id = $id", ("$st", StatusName(to)), ("$b", body), ("$id", id));
            ctx.Execute("UPDATE brief_reviews SET verdict = $v, reviewer = $r, decided_at = $t WHERE brief_id = $id",
                ("$v", verdict), ("$r", request.Reviewer), ("$t", now.ToString("O")), ("$id", id));
            ctx.Execute("DELETE FROM review_windows WHERE seq = $s", ("$s", seq));
            HeldForReview.Remove(ctx, seq);
            // The verdict is the truth the agent is measured against: a veto says the brief should not have
            // fired (unless the reviewer gives the correct label), an approval that it rightly did.
            var label = request.Verdict == ReviewVerdict.Approve || request.CorrectLabel == true;
            ctx.Execute(
                """
                INSERT INTO feedback_cases (agent_id, brief_id, customer_id, label, verdict, as_of, fields, created_at) VALUES ($a, $id, $c, $l, $v, $asof, $f, $t)
                ON CONFLICT(brief_id) DO UPDATE SET label = excluded.label, verdict = excluded.verdict, created_at = excluded.created_at
                """,
                ("$a", brief.AgentId), ("$id", id), ("$c", brief.CustomerId), ("$l", label ? 1 : 0), ("$v", verdict),
                ("$asof", brief.AsOf.ToUniversalTime().ToString("O")), ("$f", JsonSerializer.Serialize(brief.Inputs, Json)), ("$t", now.ToString("O")));
            audit.Append(ctx, request.Reviewer, $"brief.{verdict}", $"brief:{id}", new Dictionary<string, object?>
            {
                ["from"] = StatusName(brief.Status),
                ["to"] = StatusName(to),
                ["agentId"] = brief.AgentId,
                ["agentVersion"] = brief.AgentVersion,
                ["contentHash"] = brief.ContentHash,
                ["reason"] = request.Reason,
                ["correctLabel"] = request.CorrectLabel,
                ["label"] = label,
                ["bodyHash"] = AuditedState.Digest(body),
            }, now);
            var position = ChangePosition(ctx, seq);
            ctx.AfterCommit(() => Changed?.Invoke(updated, seq, position));
            return new ReviewOutcome(updated, true, null);
        });
        return outcome;
    }

    /// <summary>Withdrawn and not running again: a suspended version put in shadow stays withdrawn (its held briefs stay out) but writes shadow briefs.</summary>
    private static bool IsTakenBack(WriteContext ctx, string agentId, string version)
    {
        var read = ctx.Command(
            """
            SELECT 1 FROM withdrawn_versions w WHERE w.agent_id = $a AND w.version = $v
              AND NOT EXISTS (SELECT 1 FROM agent_versions r WHERE r.agent_id = w.agent_id AND r.version = w.version AND r.state IN ('active', 'shadow'))
            """, "$a", "$v");
        read.Parameters["$a"].Value = agentId;
        read.Parameters["$v"].Value = version;
        return read.ExecuteScalar() is not null;
    }

    private static bool IsWithdrawn(WriteContext ctx, string agentId, string version)
    {
        var read = ctx.Command("SELECT 1 FROM withdrawn_versions WHERE agent_id = $a AND version = $v", "$a", "$v");
        read.Parameters["$a"].Value = agentId;
        read.Parameters["$v"].Value = version;
        return read.ExecuteScalar() is not null;
    }

    /// <summary>
    /// The review queue, oldest first: briefs awaiting review (unless their version was rolled back, unregistered or
    /// suspended), and delivered briefs still inside their veto window. Each part is walked in seq order through its own
    /// table and the two are merged, so a page reads about what it returns: held briefs by <c>review_held</c> (a row while
    /// held, unverdicted and of a version not withdrawn: <see cref="HeldForReview"/>), delivered ones by
    /// <c>review_windows</c> (a row from delivery until a verdict or <see cref="SweepClosedWindowsAsync"/>; the window's end
    /// is checked here, so a brief leaves the queue when its window closes, swept or not). Reading delivered briefs by the
    /// window's end and sorting took every brief in its window (57,700 briefs in a 72-hour window: 1,000,000 steps a page);
    /// reading held briefs by state and seq walked every held brief of a withdrawn version, which stays pendingReview for
    /// good (20,000: 380,838 steps and 39 ms a page, against 875 and 0.1 ms). Each row's state, verdict and version are
    /// still checked, a few steps a returned row: a row kept by mistake never shows a brief. CROSS JOIN fixes which table leads.
    /// <c>$delivered</c> and <c>$held</c> (1 or 0) choose the parts (<c>?status=</c>): a part left out is not walked, its
    /// constant term is tested once before its loop.
    /// </summary>
    internal const string ReviewQueueSql = """
        SELECT seq, body FROM briefs WHERE seq IN (
            SELECT q.seq FROM review_windows q CROSS JOIN briefs b ON b.seq = q.seq CROSS JOIN brief_reviews r ON r.brief_id = b.id
            WHERE $delivered AND q.seq > $after AND q.review_until > $now AND b.status = 'delivered' AND r.verdict IS NULL
            UNION ALL
            SELECT h.seq FROM review_held h CROSS JOIN briefs b ON b.seq = h.seq CROSS JOIN brief_reviews r ON r.brief_id = b.id
            WHERE $held AND h.seq > $after AND b.status = 'pendingReview' AND r.verdict IS NULL
              AND NOT EXISTS (SELECT 1 FROM withdrawn_versions w WHERE w.agent_id = r.agent_id AND w.version = r.agent_version)
            ORDER BY 1 LIMIT $limit)
        ORDER BY seq
        """;

    /// <summary>The review queue's page after <paramref name="afterSeq"/>; with <paramref name="only"/>, its held (pendingReview) or delivered briefs alone.</summary>
    public BriefPage ReviewQueue(int limit, long? afterSeq, BriefStatus? only = null)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = ReviewQueueSql;
        cmd.Parameters.AddWithValue("$delivered", only is null or BriefStatus.Delivered);
        cmd.Parameters.AddWithValue("$held", only is null or BriefStatus.PendingReview);
        cmd.Parameters.AddWithValue("$now", time.GetUtcNow().ToUniversalTime().ToString("O"));
        cmd.Parameters.AddWithValue("$after", afterSeq ?? 0);
        cmd.Parameters.AddWithValue("$limit", limit + 1);
        return ReadPage(cmd, limit, Paging.Reviews);
    }

    /// <summary>Rows a sweep deletes in one write: a short transaction between the writer's others.</summary>
    internal const int SweepBatch = 1000;

    /// <summary>
    /// Deletes the <c>review_windows</c> rows of windows closed by now (the queue skips them, but would still walk them),
    /// in batches of <see cref="SweepBatch"/>; returns how many. <see cref="ReviewWindowSweep"/> runs it every minute.
    /// </summary>
    public async Task<int> SweepClosedWindowsAsync(CancellationToken cancellationToken = default)
    {
        var swept = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = time.GetUtcNow().ToUniversalTime().ToString("O");
            var deleted = await writer.WriteAsync(ctx => ctx.Execute(
                "DELETE FROM review_windows WHERE seq IN (SELECT seq FROM review_windows WHERE review_until <= $now ORDER BY review_until LIMIT $n)",
                ("$now", now), ("$n", SweepBatch)));
            swept += deleted;
            if (deleted < SweepBatch)
                return swept;
        }
    }

    /// <summary>
    /// Vetoed or retracted share of a version's latest <paramref name="window"/> decided briefs, with their count: vetoed,
    /// retracted and delivered ones (approved, or delivered at once under deliverThenVeto). Briefs still awaiting review
    /// (pendingReview) are left out, as are shadow briefs: counted as not vetoed, a reviewBeforeDelivery version that kept
    /// writing briefs never reached the limit (115 of 115 reviewed briefs vetoed, 39,177 pending: rate 0 over the latest 20).
    /// </summary>
    public (double Rate, int Briefs) VetoRate(string agentId, string version, int window)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT count(*), coalesce(sum(status IN ('vetoed', 'retracted')), 0) FROM (
                SELECT status FROM briefs WHERE agent_id = $a AND agent_version = $v AND status IN ('delivered', 'vetoed', 'retracted')
                ORDER BY seq DESC LIMIT $n)
            """;
        cmd.Parameters.AddWithValue("$a", agentId);
        cmd.Parameters.AddWithValue("$v", version);
        cmd.Parameters.AddWithValue("$n", window);
        using var reader = cmd.ExecuteReader();
        reader.Read();
        var n = reader.GetInt32(0);
        return (n == 0 ? 0 : (double)reader.GetInt32(1) / n, n);
    }

    /// <summary>The brief <paramref name="id"/> as stored now, read in <paramref name="ctx"/>'s transaction; null when there is none.</summary>
    internal static Brief? Get(WriteContext ctx, string id)
    {
        var command = ctx.Command("SELECT body FROM briefs WHERE id = $id", "$id");
        command.Parameters["$id"].Value = id;
        return command.ExecuteScalar() is string json ? JsonSerializer.Deserialize<Brief>(json, Json) : null;
    }

    public Brief? Get(string id)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT body FROM briefs WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return cmd.ExecuteScalar() is string json ? JsonSerializer.Deserialize<Brief>(json, Json) : null;
    }

    public BriefPage Query(BriefQuery q)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        Prepare(cmd, q);
        var page = ReadPage(cmd, q.Limit, Paging.Briefs);
        return q.VisibleTo is { } caller ? page with { Items = page.Items.Select(b => AsSeenBy(b, caller)).ToList() } : page;
    }

    /// <summary>The query <see cref="Query"/> runs: its text and parameters on <paramref name="cmd"/>.</summary>
    internal static void Prepare(Microsoft.Data.Sqlite.SqliteCommand cmd, BriefQuery q)
    {
        var where = new List<string>();
        void Filter(string sql, string name, object? value)
        {
            if (value is null)
                return;
            where.Add(sql);
            cmd.Parameters.AddWithValue(name, value);
        }
        // One filter leads (reads its index); the others only test the rows it finds ("+" keeps them off their indexes), so
        // the planner cannot trade a customer's few briefs for every delivered one. A CSM's accounts lead their list.
        var csm = q.VisibleTo is { ScopedToAccounts: true } scoped ? scoped : null;
        var statusName = q.Status is { } st ? StatusName(st) : null;
        // "Acknowledged": the reader's own responses lead, newest brief first from the cursor (brief_responses_reader), each
        // brief tested against the other filters, and the walk stops with the page. A reader who answered a few briefs
        // among thousands reads those few, where a walk by any column reads months of briefs; one who answered nearly all
        // reads about the page, where collecting their responses first (a3b6fa9) read all of them on every page (10,000:
        // 81,297 steps a page, 1,289 now; BriefListPlanTests).
        var acknowledgedByReader = q.Acknowledged is true && q.VisibleTo is { } responder && BriefResponseStore.CanRespond(responder);
        var lead = acknowledgedByReader ? "responses"
            : csm is not null || q.CustomerId is not null ? "customer_id"
            : q.Status is BriefStatus.PendingReview or BriefStatus.Vetoed or BriefStatus.Retracted ? "status"
            : q.AgentId is not null ? "agent_id"
            : q.Scenario is not null ? "scenario"
            : "status";
        // The list's order and cursor: the brief's seq, read from the response's copy when the responses lead, so their index
        // bounds the walk (the join alone would not carry a bound on briefs.seq over to it).
        var seq = acknowledgedByReader ? "r.brief_seq" : "briefs.seq";
        string Term(string column, string parameter) => $"{(column == lead ? "" : "+")}briefs.{column} = {parameter}";
        Filter(Term("customer_id", "$c"), "$c", q.CustomerId);
        Filter(Term("agent_id", "$a"), "$a", q.AgentId);
        Filter(Term("scenario", "$s"), "$s", q.Scenario);
        Filter(Term("status", "$st"), "$st", statusName);
        // Shadow briefs are never delivered: they show only when asked for by status.
        if (q.Status is null)
            where.Add("briefs.status <> 'shadow'");
        if (csm is not null)
        {
            where.Add($"+briefs.status IN ('delivered', 'retracted') AND {(acknowledgedByReader ? "+" : "")}briefs.customer_id IN (SELECT customer_id FROM csm_accounts WHERE csm_id = $csm)");
            cmd.Parameters.AddWithValue("$csm", csm.Name);
        }
        // "+": the list walks by seq, briefs_created only bounds that walk (a recent or future since otherwise reads every brief).
        Filter($"+briefs.created_at >= $since AND {seq} >= " + Paging.SeqFloor("briefs", "briefs_created", "created_at >= $since"), "$since", q.Since?.ToUniversalTime().ToString("O"));
        Filter($"{seq} < $after", "$after", q.AfterSeq);
        var from = "briefs";
        // Ops and reviewers never respond: none of the briefs is acknowledged by them, and no walk is needed to say so.
        if (q.Acknowledged is true && q.VisibleTo is { } nonResponder && !BriefResponseStore.CanRespond(nonResponder))
            where.Add("0");
        else if (q.Acknowledged is { } acknowledged && q.VisibleTo is { } reader && BriefResponseStore.CanRespond(reader))
        {
            // One row per brief and reader (the responses' primary key): the join repeats no brief. CROSS JOIN: the responses lead.
            // A response from before the brief was retracted does not count (BriefResponse.RetractedSince): that brief is back
            // among the reader's unacknowledged ones until they acknowledge it again. Looked up for retracted briefs only, so a
            // walk of delivered ones reads no review.
            var current = $"NOT (+briefs.status = 'retracted' AND {BriefResponseStore.RetractedSince("r")})";
            if (acknowledged)
                (from, where) = ("brief_responses r CROSS JOIN briefs ON briefs.seq = r.brief_seq", ["r.responder = $me", .. where, current]);
            else
                where.Add($"NOT EXISTS (SELECT 1 FROM brief_responses r WHERE r.brief_id = briefs.id AND r.responder = $me AND {current})");
            cmd.Parameters.AddWithValue("$me", BriefResponseStore.Responder(reader));
        }
        cmd.CommandText = $"SELECT briefs.seq, briefs.body FROM {from} {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY {seq} DESC LIMIT $limit";
        cmd.Parameters.AddWithValue("$limit", q.Limit + 1);
    }

    private static BriefPage ReadPage(Microsoft.Data.Sqlite.SqliteCommand cmd, int limit, string list)
    {
        var items = new List<Brief>();
        long lastSeq = 0;
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            if (items.Count == limit)
                return new(items, Paging.SeqCursor(list, lastSeq));
            lastSeq = reader.GetInt64(0);
            items.Add(JsonSerializer.Deserialize<Brief>(reader.GetString(1), Json)!);
        }
        return new(items, null);
    }

    /// <summary>
    /// The brief as the caller may read it: a CSM sees a review's verdict, time and reason (README: retracted, with the
    /// reason), never the reviewer's identity, note or label, which are for reviewers, ops and admins.
    /// </summary>
    public static Brief AsSeenBy(Brief brief, Caller caller) =>
        caller.ScopedToAccounts && brief.Review is { } review
            ? brief with { Review = review with { Reviewer = null, Note = null, CorrectLabel = null } }
            : brief;

    /// <summary>True when a CSM-scoped caller may see this brief (their account, and a state CSMs see).</summary>
    public static bool IsVisible(Brief brief, Caller caller, AccountAssignments accounts) =>
        !caller.ScopedToAccounts || (brief.Status is BriefStatus.Delivered or BriefStatus.Retracted && accounts.IsAssigned(caller.Name, brief.CustomerId));

    public long Count(string? agentId = null, string? version = null)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM briefs WHERE ($a IS NULL OR agent_id = $a) AND ($v IS NULL OR agent_version = $v)";
        cmd.Parameters.AddWithValue("$a", (object?)agentId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$v", (object?)version ?? DBNull.Value);
        return (long)cmd.ExecuteScalar()!;
    }

    public static string StatusName(BriefStatus s) => JsonNamingPolicy.CamelCase.ConvertName(s.ToString());

}

/// <summary>
/// Briefs of one agent version by state; <see cref="Pending"/> counts the status <c>pendingReview</c> (held for a reviewer).
/// <see cref="Approved"/> and <see cref="Explained"/> (non-shadow briefs with reasons and at least one citation) are parts of
/// the states, not states.
/// </summary>
[Server.OpenApiAlwaysSent]
public sealed record BriefCounts(long Delivered = 0, long Pending = 0, long Vetoed = 0, long Retracted = 0, long Shadow = 0, long Approved = 0, long Explained = 0)
{
    /// <summary>Every state shown, shadow included: the version's <c>briefs</c>.</summary>
    public long Total => Reviewable + Shadow;

    /// <summary>All but shadow briefs, which no reviewer or CSM sees: what the veto, approval and explainability rates divide by.</summary>
    public long Reviewable => Delivered + Pending + Vetoed + Retracted;
}
