using AgentCrm.Storage;

namespace AgentCrm.Agents.Plugins;

/// <summary>Plugin assemblies by content hash, in the data directory's SQLite file, so registered plugins survive a restart.</summary>
public sealed class PluginStore(SqliteDatabase database, SqliteWriter writer, TimeProvider time)
{
    public static readonly SchemaScript Schema = new("plugins", """
        CREATE TABLE IF NOT EXISTS agent_plugins (
            hash TEXT PRIMARY KEY,
            bytes BLOB NOT NULL,
            size INTEGER NOT NULL,
            file_name TEXT NOT NULL,
            created_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """);

    /// <summary>The data directory (what <c>agentcrm agents unregister ID --data DIR</c> is given).</summary>
    public string DataDirectory => Path.GetDirectoryName(database.FilePath) ?? ".";

    /// <summary>Stores the bytes (idempotent: the hash is the key); returns once committed.</summary>
    public Task SaveAsync(string hash, byte[] bytes, string fileName, CancellationToken cancellationToken = default) =>
        writer.WriteAsync(ctx => ctx.Execute(
            "INSERT INTO agent_plugins (hash, bytes, size, file_name, created_at) VALUES ($h, $b, $s, $f, $c) ON CONFLICT(hash) DO NOTHING",
            ("$h", hash), ("$b", bytes), ("$s", bytes.Length), ("$f", fileName), ("$c", time.GetUtcNow().ToString("O")))).WaitAsync(cancellationToken);

    /// <summary>
    /// Removes stored assemblies no registered version names (an upload refused after its bytes were stored, e.g. 409 for an
    /// existing version with other content); returns how many. Called at start, before the server takes uploads: only the
    /// server stores assemblies, so no upload can be between storing its bytes and registering its version.
    /// </summary>
    public Task<int> ForgetUnreferencedAsync(CancellationToken cancellationToken = default) =>
        writer.WriteAsync(ctx => ctx.Execute(
            """
            DELETE FROM agent_plugins WHERE hash NOT IN (
              SELECT json_extract(manifest, '$.parameters.assembly') FROM agent_versions
              WHERE kind = 'plugin' AND json_extract(manifest, '$.parameters.assembly') IS NOT NULL)
            """)).WaitAsync(cancellationToken);

    public byte[]? Load(string hash)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT bytes FROM agent_plugins WHERE hash = $h";
        cmd.Parameters.AddWithValue("$h", hash);
        return cmd.ExecuteScalar() as byte[];
    }
}
