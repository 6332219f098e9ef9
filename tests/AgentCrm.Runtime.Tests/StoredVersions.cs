using System.Text.Json;
using AgentCrm.Agents;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests;

/// <summary>Agent versions written straight into a stopped server's database, as an earlier build stored them.</summary>
internal static class StoredVersions
{
    /// <summary>
    /// Inserts <paramref name="manifest"/> into <c>agent_versions</c> of the data directory <paramref name="dir"/> in
    /// <paramref name="state"/>, with its content hash, skipping every check today's registration makes.
    /// </summary>
    public static void InsertAsEarlierBuild(string dir, AgentManifest manifest, string state)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False");
        connection.Open();
        using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO agent_versions (agent_id, version, kind, manifest, content_hash, state, created_at, updated_at)
            VALUES ($id, $v, $k, $m, $h, $s, '2026-12-04T10:00:00.0000000+00:00', '2026-12-04T10:00:00.0000000+00:00')
            """;
        insert.Parameters.AddWithValue("$id", manifest.Id);
        insert.Parameters.AddWithValue("$v", manifest.Version);
        insert.Parameters.AddWithValue("$k", manifest.Kind);
        insert.Parameters.AddWithValue("$m", JsonSerializer.Serialize(manifest, ManifestReader.Json));
        insert.Parameters.AddWithValue("$h", ManifestReader.ContentHash(manifest));
        insert.Parameters.AddWithValue("$s", state);
        Assert.Equal(1, insert.ExecuteNonQuery());
    }
}
