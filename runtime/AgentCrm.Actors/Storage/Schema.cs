namespace AgentCrm.Storage;

/// <summary>Every table of the embedded store. Idempotent: runs on each start.</summary>
internal static class Schema
{
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
        CREATE TABLE IF NOT EXISTS actor_state (
            actor_type TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value BLOB NOT NULL,
            PRIMARY KEY (actor_type, actor_id, key)
        );
        CREATE TABLE IF NOT EXISTS actor_reminders (
            actor_type TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            name TEXT NOT NULL,
            due_at INTEGER NOT NULL,
            period_ms INTEGER,
            data TEXT,
            PRIMARY KEY (actor_type, actor_id, name)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS actor_reminders_due ON actor_reminders(due_at);
        CREATE TABLE IF NOT EXISTS agent_versions (
            agent_id TEXT NOT NULL,
            version TEXT NOT NULL,
            kind TEXT NOT NULL,
            manifest TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            state TEXT NOT NULL,
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
            at TEXT NOT NULL
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
            body TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS briefs_customer ON briefs(customer_id, seq);
        CREATE INDEX IF NOT EXISTS briefs_agent ON briefs(agent_id, seq);
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
        """;
}
