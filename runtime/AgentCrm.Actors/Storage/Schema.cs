namespace AgentCrm.Storage;

/// <summary>The actor host's tables (state and reminders). Idempotent: runs on each start.</summary>
internal static class Schema
{
    public const string Sql = """
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
        """;
}
