using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace AgentCrm.Storage;

/// <summary>Tables another part of the application adds to the same file; applied when the database opens.</summary>
public sealed record SchemaScript(string Name, string Sql);

/// <summary>The one SQLite file of an embedded deployment: opens connections with the right pragmas and owns the schema.</summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;
    private readonly SyncMode _sync;

    public SqliteDatabase(IOptions<StorageOptions> options, IEnumerable<SchemaScript>? scripts = null)
    {
        var o = options.Value;
        Directory.CreateDirectory(Path.GetDirectoryName(o.DatabasePath)!);
        FilePath = o.DatabasePath;
        _sync = o.Synchronous;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = o.DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;" + Schema.Sql + string.Concat((scripts ?? []).Select(s => s.Sql));
        command.ExecuteNonQuery();
    }

    /// <summary>How long a connection waits for a lock before SQLITE_BUSY.</summary>
    public const int BusyTimeoutMs = 30_000;

    public string FilePath { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA synchronous={(_sync == SyncMode.Full ? "FULL" : "NORMAL")}; PRAGMA foreign_keys=ON; PRAGMA busy_timeout={BusyTimeoutMs}; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;";
        command.ExecuteNonQuery();
        return connection;
    }
}
