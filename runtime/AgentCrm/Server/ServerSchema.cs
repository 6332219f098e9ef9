namespace AgentCrm.Server;

/// <summary>Tables the server adds to the embedded store beside the actor host's.</summary>
public static class ServerSchema
{
    /// <summary>
    /// The data format of a data directory this build writes, stamped in <c>agentcrm.db</c> (<c>PRAGMA user_version</c>)
    /// and in the knowledge files beside it; a directory stamped higher is refused at start (a newer build wrote it).
    /// Raise it with any change an older build would misread or damage: a table or column it must honour (as it ignored
    /// withdrawn_versions), state it would rewrite without the new fields. Unstamped (0): a build from before the stamp.
    /// 1: the first stamped format (2026-12-03). 2 (2026-12-06): sandbox reports may hold null rates (a sweep point's
    /// precision with nothing flagged, a one-sided case set's recall), which a format-1 build fails to read (a 500 on the
    /// report and on promote); so such a build refuses a directory this one has opened. 3 (2026-12-06): audit records are
    /// hashed with each field's length (AuditLog.Hash), and verify refuses a record of the old hash after one of the new; a
    /// format-2 build would append old-format records to an upgraded log, which verify would then report broken.
    /// </summary>
    public const int FormatVersion = 3;

    /// <summary>
    /// Columns added to the tables below after a build had created them (<c>CREATE TABLE IF NOT EXISTS</c> leaves an existing
    /// table as it is): canary_percent came on 2026-11-22 (96cee7e); directories of the builds before it lack it. The
    /// webhooks' previous_secret and previous_secret_until (a rotation's overlap, WebhookStore.RotateSecretAsync) came on
    /// 2026-12-05; an older build ignores them and signs with the current secret only. brief_responses.brief_seq (the
    /// brief's seq, for a reader's "acknowledged" list) came on 2026-12-05 too: filled once from briefs at the first start
    /// that adds it, and by a trigger on every response an older build writes afterwards. agent_transitions.canary_percent (the
    /// share a version held when it changed state, so a pulled canary is never a rollback's target) came on 2026-12-05;
    /// rows without it (older builds') count as a primary's. The webhooks' failing_since, disabled_at and disabled_reason (Webhooks:DisableAfter) came on 2026-12-05 too: an older build ignores them and
    /// delivers to a disabled subscription from its cursor (nothing lost, as after an enable); a failing_since it left
    /// behind a success of its own is not trusted (WebhookStore.FailedAsync compares it with last_success_at).
    /// briefs.change_seq (the brief stream's position, for a reconnect's Last-Event-ID) came on 2026-12-05: kept by triggers,
    /// so an older build's writes get one too, and filled once from seq for the briefs before it.
    /// csm_accounts.given_at (the brief stream's head when the account became the CSM's: a stream reading again after a
    /// change another process made sends none of that account's briefs from before it) came on 2026-12-06; an older build's
    /// assignments leave it null, read as 0 (the stream sends what it left out since its last brief, as before).
    /// brief_responses.acknowledged_status (the brief's status when the acknowledgement was applied, which decides whether a
    /// retraction came after it: BriefResponseStore.RetractedSince) came on 2026-12-07; rows from before keep it null and are
    /// compared by time, as before, and triggers fill it in for an older build's acknowledgements.
    /// </summary>
    public static readonly IReadOnlyList<Storage.AddedColumn> AddedColumns =
    [
        new("agent_versions", "canary_percent", "INTEGER NOT NULL DEFAULT 100"),
        new("webhooks", "previous_secret", "TEXT"),
        new("webhooks", "previous_secret_until", "TEXT"),
        new("webhooks", "failing_since", "TEXT"),
        new("webhooks", "disabled_at", "TEXT"),
        new("webhooks", "disabled_reason", "TEXT"),
        new("brief_responses", "brief_seq", "INTEGER"),
        new("agent_transitions", "canary_percent", "INTEGER"),
        new("briefs", "change_seq", "INTEGER"),
        new("csm_accounts", "given_at", "INTEGER"),
        new("brief_responses", "acknowledged_status", "TEXT"),
    ];

    public const string Sql = """
        CREATE TABLE IF NOT EXISTS events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            customer_id TEXT NOT NULL,
            type TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            received_at TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS event_numbers_v2 (
            seq INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            number INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS agent_versions (
            agent_id TEXT NOT NULL,
            version TEXT NOT NULL,
            kind TEXT NOT NULL,
            manifest TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            state TEXT NOT NULL,
            canary_percent INTEGER NOT NULL DEFAULT 100,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (agent_id, version)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS agent_transitions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            agent_id TEXT NOT NULL,
            version TEXT,
            from_state TEXT,
            to_state TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            canary_percent INTEGER
        );
        CREATE TABLE IF NOT EXISTS briefs (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            customer_id TEXT NOT NULL,
            agent_id TEXT NOT NULL,
            agent_version TEXT NOT NULL,
            scenario TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            body TEXT NOT NULL,
            change_seq INTEGER
        );
        CREATE INDEX IF NOT EXISTS briefs_customer ON briefs(customer_id, seq);
        CREATE INDEX IF NOT EXISTS briefs_agent ON briefs(agent_id, seq);
        -- Health's brief counts per version and state, and how many are explained, read from this index alone (not every body).
        CREATE INDEX IF NOT EXISTS briefs_version_counts ON briefs(agent_id, agent_version, status,
            (json_array_length(body, '$.reasons') > 0 AND json_array_length(body, '$.citations') > 0));
        -- The review queue's held briefs without walking every brief. Partial: a plain (status, seq) index drew the CSM's
        -- list (status IN delivered, retracted) away from briefs_customer onto every delivered brief.
        CREATE INDEX IF NOT EXISTS briefs_held ON briefs(seq) WHERE status = 'pendingReview';
        CREATE TABLE IF NOT EXISTS audit (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            data TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS withdrawn_versions (
            agent_id TEXT NOT NULL,
            version TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (agent_id, version)
        ) WITHOUT ROWID;
        -- Once, for a database from before the table: versions suspended, and every version of an agent unregistered
        -- (retired no later than its unregister). Rollbacks then were not told apart from promotions: not backfilled.
        INSERT OR IGNORE INTO withdrawn_versions (agent_id, version, at)
            SELECT agent_id, version, updated_at FROM agent_versions v
            WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'withdrawn_versions.backfilled')
              AND (v.state = 'suspended' OR (v.state = 'retired' AND EXISTS (SELECT 1 FROM agent_transitions t
                   WHERE t.agent_id = v.agent_id AND t.version IS NULL AND t.at >= v.updated_at)));
        INSERT OR IGNORE INTO meta (key, value) VALUES ('withdrawn_versions.backfilled', '1');
        CREATE TABLE IF NOT EXISTS audit_once (
            key TEXT PRIMARY KEY
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS dead_letters (
            seq INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL,
            error TEXT NOT NULL,
            at TEXT NOT NULL
        );
        -- Under Dapr: dead letters a replay published again (when, and by whom): they stay listed until /dapr/events applies
        -- the event, which removes both rows and audits event.replayed then.
        CREATE TABLE IF NOT EXISTS dead_letters_republished (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL
        );
        -- Inbox rows that another instance accepted, stored here from the dead letter daprd delivered to this one
        -- (EventStore.Adopt): listed and replayed as dead letters, never dispatched as new events. An older build dispatches
        -- them once, which publishes them again under their own delivery number: the actor applies each at most once.
        CREATE TABLE IF NOT EXISTS events_adopted (
            seq INTEGER PRIMARY KEY
        );
        CREATE TABLE IF NOT EXISTS case_sets (
            name TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            hash TEXT NOT NULL,
            cases INTEGER NOT NULL,
            positives INTEGER NOT NULL,
            data_name TEXT NOT NULL,
            data BLOB NOT NULL,
            aux_name TEXT NOT NULL,
            aux BLOB NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS sandbox_reports (
            id TEXT PRIMARY KEY,
            agent_id TEXT NOT NULL,
            version TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            case_set TEXT NOT NULL,
            passed INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            json TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS sandbox_reports_version ON sandbox_reports(agent_id, version, created_at);
        CREATE TABLE IF NOT EXISTS jobs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            state TEXT NOT NULL,
            done INTEGER NOT NULL,
            total INTEGER NOT NULL,
            report_id TEXT,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS job_requests (
            job_id TEXT PRIMARY KEY,
            request TEXT NOT NULL,
            attempts INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS api_keys (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        -- api_keys keeps one row per name (its primary key in every existing data directory): the name's newest key.
        -- A revoked key whose name takes a new key moves here, where it is still listed and never found by its secret.
        CREATE TABLE IF NOT EXISTS api_keys_replaced (
            key_hash TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            prefix TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT NOT NULL
        ) WITHOUT ROWID;
        -- given_at: the brief stream's head (max briefs.change_seq) when the account became the CSM's, kept while it stays
        -- theirs (AccountAssignments.AssignAsync); a brief stream's read-again sends none of its briefs at or before it.
        CREATE TABLE IF NOT EXISTS csm_accounts (
            csm_id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            given_at INTEGER,
            PRIMARY KEY (csm_id, customer_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS csm_accounts_customer ON csm_accounts(customer_id);
        -- Each time an account was a CSM's, in the audit log's order: given after audit record given_seq, taken away after
        -- taken_seq (null while it is theirs). A change's audit record at seq s was written while the account was theirs when
        -- given_seq < s <= taken_seq: what a CSM's webhook sends (WebhookStore), whatever its backlog when the account moves.
        -- Kept by triggers on csm_accounts, in the assignment's own transaction (before its audit record: its seq is the head
        -- plus one), whichever process or build writes it (the server's PUT, the CLI's `csms accounts set`, an older build).
        -- The first start that creates the table fills it once from the assignments' audit records (csm.accounts.assigned,
        -- each one the CSM's whole list), replayed per CSM: a run of records listing an account is one span, given before the
        -- first, taken before the record after the last; a current assignment the log does not show (a damaged record) is
        -- taken as theirs since the start, as every change of it was sent before. Gated by their LIMIT, as brief_responses'
        -- fill below: later starts read nothing.
        CREATE TABLE IF NOT EXISTS csm_account_spans (
            csm_id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            given_seq INTEGER NOT NULL,
            taken_seq INTEGER,
            PRIMARY KEY (csm_id, customer_id, given_seq)
        ) WITHOUT ROWID;
        WITH records AS (
            SELECT seq, subject, data FROM audit WHERE action = 'csm.accounts.assigned' AND subject >= 'csm:' AND subject < 'csm;'
            LIMIT (SELECT CASE WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'csm_account_spans.filled') THEN 0 ELSE -1 END)
        ), assigned AS (
            SELECT seq, subject, data, row_number() OVER (PARTITION BY subject ORDER BY seq) AS n FROM records
        ), listed AS (
            SELECT DISTINCT r.subject, r.n, r.seq, j.value AS customer_id
            FROM assigned r, json_each(CASE WHEN json_valid(r.data) THEN r.data END, '$.accounts') j
        ), runs AS (
            SELECT subject, customer_id, seq, n, n - row_number() OVER (PARTITION BY subject, customer_id ORDER BY n) AS run FROM listed
        ), spans AS (
            SELECT subject, customer_id, min(seq) AS first_seq, max(n) AS last_n FROM runs GROUP BY subject, customer_id, run
        )
        INSERT OR IGNORE INTO csm_account_spans (csm_id, customer_id, given_seq, taken_seq)
            SELECT substr(s.subject, 5), s.customer_id, s.first_seq - 1,
                (SELECT a.seq - 1 FROM assigned a WHERE a.subject = s.subject AND a.n = s.last_n + 1)
            FROM spans s;
        INSERT OR IGNORE INTO csm_account_spans (csm_id, customer_id, given_seq)
            SELECT c.csm_id, c.customer_id, 0 FROM csm_accounts c
            WHERE NOT EXISTS (SELECT 1 FROM csm_account_spans s WHERE s.csm_id = c.csm_id AND s.customer_id = c.customer_id AND s.taken_seq IS NULL)
            LIMIT (SELECT CASE WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'csm_account_spans.filled') THEN 0 ELSE -1 END);
        INSERT OR IGNORE INTO meta (key, value) VALUES ('csm_account_spans.filled', '1');
        -- A span closed at the current head is the same assignment written again (a build before 2026-12-06 deleted a CSM's
        -- rows and inserted the whole list, with no audit record in between): it is reopened, so the changes of an account
        -- the CSM kept are not passed over (review rev38 #1). This build's every change of accounts writes its audit record.
        CREATE TRIGGER IF NOT EXISTS csm_account_given AFTER INSERT ON csm_accounts BEGIN
            UPDATE csm_account_spans SET taken_seq = NULL WHERE csm_id = new.csm_id AND customer_id = new.customer_id
                AND taken_seq = (SELECT coalesce(max(seq), 0) FROM audit);
            INSERT OR IGNORE INTO csm_account_spans (csm_id, customer_id, given_seq)
                SELECT new.csm_id, new.customer_id, (SELECT coalesce(max(seq), 0) FROM audit)
                WHERE NOT EXISTS (SELECT 1 FROM csm_account_spans WHERE csm_id = new.csm_id AND customer_id = new.customer_id AND taken_seq IS NULL);
        END;
        CREATE TRIGGER IF NOT EXISTS csm_account_taken AFTER DELETE ON csm_accounts BEGIN
            UPDATE csm_account_spans SET taken_seq = (SELECT coalesce(max(seq), 0) FROM audit)
                WHERE csm_id = old.csm_id AND customer_id = old.customer_id AND taken_seq IS NULL;
        END;
        CREATE TABLE IF NOT EXISTS consents (
            customer_id TEXT PRIMARY KEY,
            grants TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS brief_reviews (
            brief_id TEXT PRIMARY KEY,
            agent_id TEXT NOT NULL,
            agent_version TEXT NOT NULL,
            review_until TEXT NOT NULL,
            verdict TEXT,
            reviewer TEXT,
            decided_at TEXT
        );
        CREATE INDEX IF NOT EXISTS brief_reviews_open ON brief_reviews(verdict, review_until);
        -- A CSM's own response to a brief they read: acknowledged (always, first time kept), and whether it was useful.
        CREATE TABLE IF NOT EXISTS brief_responses (
            brief_id TEXT NOT NULL,
            responder TEXT NOT NULL,
            agent_id TEXT NOT NULL,
            agent_version TEXT NOT NULL,
            acknowledged_at TEXT NOT NULL,
            useful INTEGER,
            note TEXT,
            feedback_at TEXT,
            brief_seq INTEGER,
            acknowledged_status TEXT,
            PRIMARY KEY (brief_id, responder)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS brief_responses_version ON brief_responses(agent_id, agent_version);
        -- A reader's own responses newest brief first, for their "acknowledged" list (BriefStore.Prepare): a page walks them
        -- from its cursor and stops when full. brief_seq is the brief's seq (briefs.seq, which never changes): BriefResponseStore
        -- writes it; the trigger fills it when a writer leaves it out (an older build, which knows no such column but runs the
        -- triggers the file holds); the first start that adds the column fills the rows before it, once (gated by its LIMIT as
        -- brief_counts below: a WHERE on the marker still walked every response at each start), before the index is built
        -- (300,000 responses: 1.2 s, 3.2 s into the index). The index by brief id this replaces read all of a reader's
        -- responses on every page; an older build makes it again, and the next start of this one drops it.
        DROP INDEX IF EXISTS brief_responses_responder;
        UPDATE brief_responses SET brief_seq = (SELECT seq FROM briefs WHERE id = brief_responses.brief_id)
            WHERE (brief_id, responder) IN (SELECT brief_id, responder FROM brief_responses WHERE brief_seq IS NULL
                LIMIT (SELECT CASE WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'brief_responses.seq_filled') THEN 0 ELSE -1 END));
        INSERT OR IGNORE INTO meta (key, value) VALUES ('brief_responses.seq_filled', '1');
        CREATE INDEX IF NOT EXISTS brief_responses_reader ON brief_responses(responder, brief_seq);
        CREATE TRIGGER IF NOT EXISTS brief_responses_seq AFTER INSERT ON brief_responses WHEN new.brief_seq IS NULL BEGIN
            UPDATE brief_responses SET brief_seq = (SELECT seq FROM briefs WHERE id = new.brief_id)
                WHERE brief_id = new.brief_id AND responder = new.responder;
        END;
        -- acknowledged_status: the brief's status when acknowledged_at was written, in the same transaction (delivered or
        -- retracted), so that a veto applied before or after the acknowledgement is told apart by the order of the writes,
        -- not by clocks (BriefResponseStore.RetractedSince). BriefResponseStore writes it with the time; these fill it in when
        -- an older build writes the time alone (a first acknowledgement, or one again after a retraction).
        CREATE TRIGGER IF NOT EXISTS brief_responses_acknowledged_added AFTER INSERT ON brief_responses WHEN new.acknowledged_status IS NULL BEGIN
            UPDATE brief_responses SET acknowledged_status = (SELECT status FROM briefs WHERE id = new.brief_id)
                WHERE brief_id = new.brief_id AND responder = new.responder;
        END;
        CREATE TRIGGER IF NOT EXISTS brief_responses_acknowledged_again AFTER UPDATE OF acknowledged_at ON brief_responses
            WHEN new.acknowledged_status IS old.acknowledged_status BEGIN
            UPDATE brief_responses SET acknowledged_status = (SELECT status FROM briefs WHERE id = new.brief_id)
                WHERE brief_id = new.brief_id AND responder = new.responder;
        END;
        -- The review queue's delivered briefs, by seq, from delivery until a verdict or the sweep after their window closed
        -- (BriefStore): a page walks these in the queue's order instead of every brief in its window. No column for it in
        -- brief_reviews: SQLite cannot add one only where it is missing, and this script runs at every start.
        CREATE TABLE IF NOT EXISTS review_windows (
            seq INTEGER PRIMARY KEY,
            review_until TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS review_windows_until ON review_windows(review_until);
        -- At every start: the unreviewed briefs in their window the table lacks (all, in a directory from before it; those a
        -- build from before delivered since), read through brief_reviews_open (0.05-0.15 s for 57,700). 'now' is to the
        -- millisecond: a window closing in it may be added, and the queue checks the time, the sweep clears it.
        INSERT OR IGNORE INTO review_windows (seq, review_until)
            SELECT b.seq, r.review_until FROM brief_reviews r CROSS JOIN briefs b ON b.id = r.brief_id
            WHERE r.verdict IS NULL AND r.review_until > strftime('%Y-%m-%dT%H:%M:%f', 'now') AND b.status = 'delivered';
        -- The review queue's held briefs, by seq: held (pendingReview, no verdict) and of a version not withdrawn (HeldForReview
        -- keeps it in the transactions that change those). A page walks these instead of every held brief: a withdrawn
        -- version's held briefs stay pendingReview for good (20,000 of them cost a page 39 ms).
        CREATE TABLE IF NOT EXISTS review_held (
            seq INTEGER PRIMARY KEY
        );
        -- At every start, as review_windows: rows no longer held (a verdict or a withdrawal by an older build, which keeps no
        -- rows) go, read through the table itself; then the held briefs it lacks (all, in a directory from before it; those an
        -- older build held since) come, read per version not withdrawn through briefs_version_counts: the queue's held briefs,
        -- not the withdrawn ones (every held brief took 82 ms a start for 20,000 of a withdrawn version, this 2 ms). A brief's
        -- version is always in agent_versions (its rows are never deleted).
        DELETE FROM review_held WHERE NOT EXISTS (
            SELECT 1 FROM briefs b CROSS JOIN brief_reviews r ON r.brief_id = b.id
            WHERE b.seq = review_held.seq AND b.status = 'pendingReview' AND r.verdict IS NULL
              AND NOT EXISTS (SELECT 1 FROM withdrawn_versions w WHERE w.agent_id = b.agent_id AND w.version = b.agent_version));
        INSERT OR IGNORE INTO review_held (seq)
            SELECT b.seq FROM agent_versions v
            CROSS JOIN briefs b ON b.agent_id = v.agent_id AND b.agent_version = v.version AND b.status = 'pendingReview'
            CROSS JOIN brief_reviews r ON r.brief_id = b.id
            WHERE r.verdict IS NULL
              AND NOT EXISTS (SELECT 1 FROM withdrawn_versions w WHERE w.agent_id = v.agent_id AND w.version = v.version);
        CREATE TABLE IF NOT EXISTS feedback_cases (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            agent_id TEXT NOT NULL,
            brief_id TEXT NOT NULL UNIQUE,
            customer_id TEXT NOT NULL,
            label INTEGER NOT NULL,
            verdict TEXT NOT NULL,
            as_of TEXT NOT NULL,
            fields TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS feedback_cases_agent ON feedback_cases(agent_id, seq);
        CREATE INDEX IF NOT EXISTS audit_subject ON audit(subject, seq);
        -- GET /v1/audit?action=: a rare action (agent.promoted, key.created) otherwise read the whole log, newest first.
        CREATE INDEX IF NOT EXISTS audit_action ON audit(action, seq);
        -- GET /v1/audit?actor=: what one key (or user, or agent version) did, a few records among many.
        CREATE INDEX IF NOT EXISTS audit_actor ON audit(actor, seq);
        -- GET /v1/audit?since= and GET /v1/briefs?since= find the lowest seq a recent since can match (Paging.SeqFloor).
        CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
        CREATE INDEX IF NOT EXISTS briefs_created ON briefs(created_at);
        -- GET /v1/briefs?status= and ?scenario=: a rare state (vetoed) or scenario otherwise read every brief newest first.
        -- BriefStore.Query lets one filter lead, so the CSM's list stays on briefs_customer.
        CREATE INDEX IF NOT EXISTS briefs_status ON briefs(status, seq);
        CREATE INDEX IF NOT EXISTS briefs_scenario ON briefs(scenario, seq);
        -- The brief stream's order (BriefStreamReplay): change_seq is the position of a brief's latest change, one more than
        -- any before it, given when the brief is stored and again whenever its state or body changes (a verdict), in the write
        -- that does it, so positions follow commit order. A reconnecting stream client (Last-Event-ID) is sent the briefs whose
        -- position is past its last event's. Triggers, not the store's statements: an older build, which knows no such column,
        -- runs the triggers the file holds. The briefs from before the column take their seq, once (gated by its LIMIT as
        -- brief_counts below), before the index is built. The trigger's own update sets only change_seq: no trigger on
        -- status or body fires again.
        UPDATE briefs SET change_seq = seq WHERE seq IN (SELECT seq FROM briefs WHERE change_seq IS NULL
            LIMIT (SELECT CASE WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'briefs.change_seq_filled') THEN 0 ELSE -1 END));
        INSERT OR IGNORE INTO meta (key, value) VALUES ('briefs.change_seq_filled', '1');
        CREATE INDEX IF NOT EXISTS briefs_changes ON briefs(change_seq);
        CREATE TRIGGER IF NOT EXISTS briefs_change_added AFTER INSERT ON briefs BEGIN
            UPDATE briefs SET change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM briefs) WHERE seq = new.seq;
        END;
        CREATE TRIGGER IF NOT EXISTS briefs_change_changed AFTER UPDATE OF status, body ON briefs BEGIN
            UPDATE briefs SET change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM briefs) WHERE seq = new.seq;
        END;
        -- The brief stream's epochs (BriefStreamEpochs): a row at each server start, before anything writes a brief, with the
        -- first position it gives; an epoch holds the positions up to the next one's first. A stream event's id names its
        -- position's epoch, so a directory restored from a backup (which knows its last epoch only up to where the backup ends)
        -- or another directory cannot take an id of a history it does not have for one of its own. The CLI adds no rows (it
        -- writes no briefs); an older build ignores the table: its writes fall in the last epoch, which the next start ends.
        CREATE TABLE IF NOT EXISTS stream_epochs (
            n INTEGER PRIMARY KEY,
            epoch TEXT NOT NULL UNIQUE,
            first_seq INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        -- Webhook subscriptions; delivered_seq is the audit sequence up to which a subscription is done (its feed is the
        -- audit log's brief records: WebhookStore). An older build ignores the table: it delivers nothing, loses nothing.
        CREATE TABLE IF NOT EXISTS webhooks (
            id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            csm_id TEXT,
            agent_id TEXT,
            secret TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            delivered_seq INTEGER NOT NULL,
            delivered INTEGER NOT NULL DEFAULT 0,
            last_success_at TEXT,
            last_failure_at TEXT,
            last_error TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            previous_secret TEXT,
            previous_secret_until TEXT,
            failing_since TEXT,
            disabled_at TEXT,
            disabled_reason TEXT
        ) WITHOUT ROWID;
        -- Health's counts per agent version (BriefCounters), kept by these triggers in the transaction of every write to the
        -- tables they count, whichever code (or build) writes: a health request reads a version's few rows, not its history
        -- (500,000 briefs: 170 ms a request, 2 ms now). counter: 'briefs:' + a brief state (briefs in it), 'explained:' + state
        -- (those with reasons and a citation, the expression of briefs_version_counts), 'approved' (verdicts), and the CSMs'
        -- responses (a CSM's row has no ':' in its responder): 'acknowledged' (briefs with one), 'useful', 'notUseful'.
        -- CREATE TRIGGER IF NOT EXISTS keeps a directory's triggers as they are: a build that changes one drops it first.
        CREATE TABLE IF NOT EXISTS brief_counts (
            agent_id TEXT NOT NULL,
            agent_version TEXT NOT NULL,
            counter TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (agent_id, agent_version, counter)
        ) WITHOUT ROWID;
        CREATE TRIGGER IF NOT EXISTS brief_counts_brief_added AFTER INSERT ON briefs BEGIN
            INSERT INTO brief_counts VALUES (new.agent_id, new.agent_version, 'briefs:' || new.status, 1) ON CONFLICT (agent_id, agent_version, counter) DO UPDATE SET n = n + 1;
            INSERT INTO brief_counts SELECT new.agent_id, new.agent_version, 'explained:' || new.status, 1
                WHERE json_array_length(new.body, '$.reasons') > 0 AND json_array_length(new.body, '$.citations') > 0
                ON CONFLICT (agent_id, agent_version, counter) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER IF NOT EXISTS brief_counts_brief_removed AFTER DELETE ON briefs BEGIN
            UPDATE brief_counts SET n = n - 1 WHERE agent_id = old.agent_id AND agent_version = old.agent_version AND (counter = 'briefs:' || old.status
                OR (counter = 'explained:' || old.status AND json_array_length(old.body, '$.reasons') > 0 AND json_array_length(old.body, '$.citations') > 0));
        END;
        CREATE TRIGGER IF NOT EXISTS brief_counts_brief_changed AFTER UPDATE OF agent_id, agent_version, status, body ON briefs BEGIN
            UPDATE brief_counts SET n = n - 1 WHERE agent_id = old.agent_id AND agent_version = old.agent_version AND (counter = 'briefs:' || old.status
                OR (counter = 'explained:' || old.status AND json_array_length(old.body, '$.reasons') > 0 AND json_array_length(old.body, '$.citations') > 0));
            INSERT INTO brief_counts VALUES (new.agent_id, new.agent_version, 'briefs:' || new.status, 1) ON CONFLICT (agent_id, agent_version, counter) DO UPDATE SET n = n + 1;
            INSERT INTO brief_counts SELECT new.agent_id, new.agent_version, 'explained:' || new.status, 1
                WHERE json_array_length(new.body, '$.reasons') > 0 AND json_array_length(new.body, '$.citations') > 0
                ON CONFLICT (agent_id, agent_version, counter) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER IF NOT EXISTS brief_counts_review_added AFTER INSERT ON brief_reviews WHEN new.verdict = 'approved' BEGIN
            INSERT INTO brief_counts VALUES (new.agent_id, new.agent_version, 'approved', 1) ON CONFLICT (agent_id, agent_version, counter) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER IF NOT EXISTS brief_counts_review_removed AFTER DELETE ON brief_reviews WHEN old.verdict = 'approved' BEGIN
            UPDATE brief_counts SET n = n - 1 WHERE agent_id = old.agent_id AND agent_version = old.agent_version AND counter = 'approved';
        END;
        CREATE TRIGGER IF NOT EXISTS brief_counts_review_changed AFTER UPDATE OF agent_id, agent_version, verdict ON brief_reviews BEGIN
            UPDATE brief_counts SET n = n - 1 WHERE old.verdict = 'approved'
                AND agent_id = old.agent_id AND agent_version = old.agent_version AND counter = 'approved';
            INSERT INTO brief_counts SELECT new.agent_id, new.agent_version, 'approved', 1 WHERE new.verdict = 'approved'
                ON CONFLICT (agent_id, agent_version, counter) DO UPDATE SET n = n + 1;
        END;
        -- A brief counts as acknowledged with its first CSM row and until its last goes (count(DISTINCT brief_id) kept up).
        CREATE TRIGGER IF NOT EXISTS brief_counts_response_added AFTER INSERT ON brief_responses WHEN instr(new.responder, ':') = 0 BEGIN
            INSERT INTO brief_counts SELECT new.agent_id, new.agent_version, 'acknowledged', 1
                WHERE NOT EXISTS (SELECT 1 FROM brief_responses o WHERE o.brief_id = new.brief_id AND o.responder <> new.responder
                    AND instr(o.responder, ':') = 0 AND o.agent_id = new.agent_id AND o.agent_version = new.agent_version)
                ON CONFLICT (agent_id, agent_version, counter) DO UPDATE SET n = n + 1;
            INSERT INTO brief_counts SELECT new.agent_id, new.agent_version, CASE new.useful WHEN 1 THEN 'useful' ELSE 'notUseful' END, 1
                WHERE new.useful IN (0, 1) ON CONFLICT (agent_id, agent_version, counter) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER IF NOT EXISTS brief_counts_response_removed AFTER DELETE ON brief_responses WHEN instr(old.responder, ':') = 0 BEGIN
            UPDATE brief_counts SET n = n - 1 WHERE agent_id = old.agent_id AND agent_version = old.agent_version
                AND ((counter = 'acknowledged' AND NOT EXISTS (SELECT 1 FROM brief_responses o WHERE o.brief_id = old.brief_id
                        AND instr(o.responder, ':') = 0 AND o.agent_id = old.agent_id AND o.agent_version = old.agent_version))
                    OR counter = CASE old.useful WHEN 1 THEN 'useful' WHEN 0 THEN 'notUseful' END);
        END;
        -- As a removal of the old row then an addition of the new, except that a brief whose CSM row stays one (a feedback
        -- change) is neither uncounted nor counted again.
        CREATE TRIGGER IF NOT EXISTS brief_counts_response_changed AFTER UPDATE OF brief_id, responder, agent_id, agent_version, useful ON brief_responses BEGIN
            UPDATE brief_counts SET n = n - 1 WHERE instr(old.responder, ':') = 0 AND agent_id = old.agent_id AND agent_version = old.agent_version
                AND ((counter = 'acknowledged' AND NOT EXISTS (SELECT 1 FROM brief_responses o WHERE o.brief_id = old.brief_id
                        AND instr(o.responder, ':') = 0 AND o.agent_id = old.agent_id AND o.agent_version = old.agent_version))
                    OR counter = CASE old.useful WHEN 1 THEN 'useful' WHEN 0 THEN 'notUseful' END);
            INSERT INTO brief_counts SELECT new.agent_id, new.agent_version, 'acknowledged', 1
                WHERE instr(new.responder, ':') = 0
                  AND NOT (instr(old.responder, ':') = 0 AND old.brief_id = new.brief_id AND old.agent_id = new.agent_id AND old.agent_version = new.agent_version)
                  AND NOT EXISTS (SELECT 1 FROM brief_responses o WHERE o.brief_id = new.brief_id AND o.responder <> new.responder
                    AND instr(o.responder, ':') = 0 AND o.agent_id = new.agent_id AND o.agent_version = new.agent_version)
                ON CONFLICT (agent_id, agent_version, counter) DO UPDATE SET n = n + 1;
            INSERT INTO brief_counts SELECT new.agent_id, new.agent_version, CASE new.useful WHEN 1 THEN 'useful' ELSE 'notUseful' END, 1
                WHERE instr(new.responder, ':') = 0 AND new.useful IN (0, 1) ON CONFLICT (agent_id, agent_version, counter) DO UPDATE SET n = n + 1;
        END;
        -- Once, for a database from before the table (in the start's transaction, with its marker): the counts of the history
        -- so far, by the queries health ran before (BriefCounters.Recount*; 500,000 briefs: 0.3 s, once). Each is gated by
        -- its LIMIT, 0 once filled: SQLite then skips the query, where a WHERE on the marker still walked every brief.
        DELETE FROM brief_counts WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'brief_counts.filled');
        INSERT INTO brief_counts (agent_id, agent_version, counter, n)
            SELECT agent_id, agent_version, 'briefs:' || status, count(*) FROM briefs GROUP BY agent_id, agent_version, status
            LIMIT (SELECT CASE WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'brief_counts.filled') THEN 0 ELSE -1 END);
        INSERT INTO brief_counts (agent_id, agent_version, counter, n)
            SELECT agent_id, agent_version, 'explained:' || status,
                   sum(json_array_length(body, '$.reasons') > 0 AND json_array_length(body, '$.citations') > 0) AS explained
            FROM briefs GROUP BY agent_id, agent_version, status HAVING explained > 0
            LIMIT (SELECT CASE WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'brief_counts.filled') THEN 0 ELSE -1 END);
        INSERT INTO brief_counts (agent_id, agent_version, counter, n)
            SELECT agent_id, agent_version, 'approved', count(*) FROM brief_reviews WHERE verdict = 'approved' GROUP BY agent_id, agent_version
            LIMIT (SELECT CASE WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'brief_counts.filled') THEN 0 ELSE -1 END);
        INSERT INTO brief_counts (agent_id, agent_version, counter, n)
            SELECT agent_id, agent_version, 'acknowledged', count(DISTINCT brief_id) FROM brief_responses
            WHERE instr(responder, ':') = 0 GROUP BY agent_id, agent_version
            LIMIT (SELECT CASE WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'brief_counts.filled') THEN 0 ELSE -1 END);
        INSERT INTO brief_counts (agent_id, agent_version, counter, n)
            SELECT agent_id, agent_version, CASE useful WHEN 1 THEN 'useful' ELSE 'notUseful' END, count(*) FROM brief_responses
            WHERE instr(responder, ':') = 0 AND useful IN (0, 1) GROUP BY agent_id, agent_version, useful
            LIMIT (SELECT CASE WHEN EXISTS (SELECT 1 FROM meta WHERE key = 'brief_counts.filled') THEN 0 ELSE -1 END);
        INSERT OR IGNORE INTO meta (key, value) VALUES ('brief_counts.filled', '1');
        """;
}
