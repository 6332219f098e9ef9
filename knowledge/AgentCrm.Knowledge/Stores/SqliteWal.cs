using Microsoft.Data.Sqlite;

namespace AgentCrm.Knowledge.Stores;

/// <summary>
/// Folds the write-ahead log of the knowledge databases (<c>knowledge.db</c>, <c>knowledge-catalog.db</c>) back into
/// the database file. SQLite's own checkpoint runs only once the log passes 1,000 pages, and the one it makes when the
/// last connection closes never comes while a server holds its connection open: after a <c>knowledge ingest</c> beside
/// a running server the logs kept the whole ingest (4 and 5 MB) beside a 4 KB catalog, for good. Writes are rare (an
/// ingest, an edit), so each one's commit is followed by a TRUNCATE checkpoint, as the main database's checkpointer
/// does on dispose.
/// </summary>
internal static class SqliteWal
{
    /// <summary>
    /// Copies the log into the database and empties the file. Best effort: a reader in the middle of a read keeps the
    /// frames it may need (SQLite answers busy rather than wait), and the next write or the close tries again.
    /// </summary>
    public static void Truncate(SqliteConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open)
            return;
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            command.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
        }
    }
}
