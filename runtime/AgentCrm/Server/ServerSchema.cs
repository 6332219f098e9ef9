namespace AgentCrm.Server;

/// <summary>Tables the server adds to the embedded store beside the actor host's.</summary>
internal static class ServerSchema
{
    public const string Sql = """
        CREATE TABLE IF NOT EXISTS dead_letters (
            seq INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL,
            error TEXT NOT NULL,
            at TEXT NOT NULL
        );
        """;
}
