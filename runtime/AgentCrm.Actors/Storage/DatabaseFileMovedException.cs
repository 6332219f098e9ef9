using Microsoft.Data.Sqlite;

namespace AgentCrm.Storage;

/// <summary>The database file was deleted, moved away or replaced under the running server: a storage failure (SQLITE_CANTOPEN) that says so.</summary>
public sealed class DatabaseFileMovedException(string path) : SqliteException(
    $"SQLite Error 14: the database file {path} was deleted, moved away or replaced while the server ran; nothing is written until it is back (restart the server to find out what the directory holds).", 14);
