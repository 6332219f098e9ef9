using AgentCrm.Knowledge.Distill;
using System.Text.Json;
using AgentCrm.Knowledge.Stores;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Knowledge.Documents;

/// <summary>
/// The service's own SQLite tables: documents, the text of every unit (for BM25 and re-embedding, whatever the vector
/// store) and the embedder's IDF state. Independent of the vector store so a Qdrant deployment keeps them too.
/// </summary>
internal sealed class DocumentCatalog : IDisposable
{
    private const string VersionKey = "catalog.version";
    private readonly SqliteConnection _connection;

    // One connection is not safe for concurrent use; reads (listing, details) can race a write.
    private readonly Lock _lock = new();

    public DocumentCatalog(string databasePath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        _connection.Open();
        Execute("""
            PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS documents (
                id TEXT PRIMARY KEY, title TEXT NOT NULL, type TEXT NOT NULL, tags TEXT NOT NULL, scenario TEXT,
                language TEXT NOT NULL, hash TEXT NOT NULL, chunks INTEGER NOT NULL, distilled INTEGER NOT NULL, ingested_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS units (
                id TEXT PRIMARY KEY, document_id TEXT NOT NULL, title TEXT NOT NULL, section TEXT NOT NULL, kind TEXT NOT NULL,
                text TEXT NOT NULL, tags TEXT NOT NULL, scenario TEXT, language TEXT NOT NULL, source_chunk_id TEXT, ordinal INTEGER NOT NULL,
                detail TEXT);
            CREATE INDEX IF NOT EXISTS units_document ON units(document_id);
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
            """);
    }

    public List<KnowledgeDocument> Documents()
    {
        using var scope = _lock.EnterScope();
        var documents = new List<KnowledgeDocument>();
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id, title, type, tags, scenario, language, hash, chunks, distilled, ingested_at FROM documents ORDER BY id;";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            documents.Add(new KnowledgeDocument(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), Tags(reader.GetString(3)),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), reader.GetString(6),
                reader.GetInt32(7), reader.GetInt32(8), DateTimeOffset.Parse(reader.GetString(9), System.Globalization.CultureInfo.InvariantCulture)));
        }

        return documents;
    }

    /// <summary>Every unit without its vector, in document and reading order.</summary>
    public List<KnowledgeRecord> Units()
    {
        using var scope = _lock.EnterScope();
        var units = new List<KnowledgeRecord>();
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id, document_id, title, section, kind, text, tags, scenario, language, source_chunk_id FROM units ORDER BY document_id, ordinal;";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            units.Add(new KnowledgeRecord(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                Tags(reader.GetString(6)), reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetString(8), [],
                reader.IsDBNull(9) ? null : reader.GetString(9)));
        }

        return units;
    }

    /// <summary>The distilled units of a document with their method and per-sentence chunk links, in order.</summary>
    public List<DistilledUnit> DistilledUnits(string documentId)
    {
        using var scope = _lock.EnterScope();
        var units = new List<DistilledUnit>();
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT detail FROM units WHERE document_id = $document AND detail IS NOT NULL ORDER BY ordinal;";
        command.Parameters.AddWithValue("$document", documentId);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (JsonSerializer.Deserialize<DistilledUnit>(reader.GetString(0)) is { } unit)
            {
                units.Add(unit);
            }
        }

        return units;
    }

    /// <summary>A document's distilled units keyed by the id of the unit that carries each (what <see cref="Save"/> takes back).</summary>
    public Dictionary<string, DistilledUnit> DistilledUnitsById(string documentId)
    {
        using var scope = _lock.EnterScope();
        var units = new Dictionary<string, DistilledUnit>(StringComparer.Ordinal);
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id, detail FROM units WHERE document_id = $document AND detail IS NOT NULL;";
        command.Parameters.AddWithValue("$document", documentId);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (JsonSerializer.Deserialize<DistilledUnit>(reader.GetString(1)) is { } unit)
            {
                units[reader.GetString(0)] = unit;
            }
        }

        return units;
    }

    /// <summary>
    /// Counts committed changes to documents (ingest, replace, metadata, delete), by any process on this data directory: a
    /// server compares it with the count it loaded to notice what the CLI changed.
    /// </summary>
    public long Version()
    {
        using var scope = _lock.EnterScope();
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $key;";
        command.Parameters.AddWithValue("$key", VersionKey);
        return command.ExecuteScalar() is long version ? version : 0;
    }

    public byte[]? Meta(string key)
    {
        using var scope = _lock.EnterScope();
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $key;";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as byte[];
    }

    /// <summary>Writes (or, with null, removes) one meta value.</summary>
    public void SetMeta(string key, byte[]? value)
    {
        using var scope = _lock.EnterScope();
        using var command = _connection.CreateCommand();
        command.CommandText = value is null ? "DELETE FROM meta WHERE key = $key;" : "INSERT OR REPLACE INTO meta (key, value) VALUES ($key, $value);";
        command.Parameters.AddWithValue("$key", key);
        if (value is not null)
            command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
        SqliteWal.Truncate(_connection);
    }

    /// <summary>Replaces (or, with a null document, deletes) one document and its units and writes the meta values, in one transaction; returns the new <see cref="Version"/>.</summary>
    public long Save(string documentId, KnowledgeDocument? document, IReadOnlyList<KnowledgeRecord> units, IReadOnlyDictionary<string, DistilledUnit> details, IReadOnlyDictionary<string, byte[]> meta)
    {
        using var scope = _lock.EnterScope();
        using var transaction = _connection.BeginTransaction();
        Run(transaction, "DELETE FROM documents WHERE id = $id; DELETE FROM units WHERE document_id = $id;", ("$id", documentId));
        if (document is not null)
        {
            Run(transaction, """
                INSERT INTO documents (id, title, type, tags, scenario, language, hash, chunks, distilled, ingested_at)
                VALUES ($id, $title, $type, $tags, $scenario, $language, $hash, $chunks, $distilled, $at);
                """,
                ("$id", document.Id), ("$title", document.Title), ("$type", document.Type), ("$tags", JsonSerializer.Serialize(document.Tags)),
                ("$scenario", document.Scenario), ("$language", document.Language), ("$hash", document.ContentHash),
                ("$chunks", document.Chunks), ("$distilled", document.DistilledUnits), ("$at", document.IngestedAt.ToString("O")));
            InsertUnits(units, details, transaction);
        }

        foreach (var (key, value) in meta)
        {
            Run(transaction, "INSERT OR REPLACE INTO meta (key, value) VALUES ($key, $value);", ("$key", key), ("$value", value));
        }

        var version = Increment(transaction);
        transaction.Commit();
        SqliteWal.Truncate(_connection);
        return version;
    }

    /// <summary>Sets a document's metadata on its row and its units' rows, in one transaction; texts stay. Returns the new <see cref="Version"/>.</summary>
    public long UpdateMetadata(KnowledgeDocument document)
    {
        using var scope = _lock.EnterScope();
        using var transaction = _connection.BeginTransaction();
        var tags = JsonSerializer.Serialize(document.Tags);
        Run(transaction, "UPDATE documents SET title = $title, tags = $tags, scenario = $scenario, language = $language WHERE id = $id;",
            ("$id", document.Id), ("$title", document.Title), ("$tags", tags), ("$scenario", document.Scenario), ("$language", document.Language));
        Run(transaction, "UPDATE units SET title = $title, tags = $tags, scenario = $scenario, language = $language WHERE document_id = $id;",
            ("$id", document.Id), ("$title", document.Title), ("$tags", tags), ("$scenario", document.Scenario), ("$language", document.Language));
        var version = Increment(transaction);
        transaction.Commit();
        SqliteWal.Truncate(_connection);
        return version;
    }

    private long Increment(SqliteTransaction transaction)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO meta (key, value) VALUES ($key, 1) ON CONFLICT(key) DO UPDATE SET value = value + 1;
            SELECT value FROM meta WHERE key = $key;
            """;
        command.Parameters.AddWithValue("$key", VersionKey);
        return (long)command.ExecuteScalar()!;
    }

    public void Dispose()
    {
        using (_lock.EnterScope())
        {
            SqliteWal.Truncate(_connection);
        }

        _connection.Dispose();
    }

    private void InsertUnits(IReadOnlyList<KnowledgeRecord> units, IReadOnlyDictionary<string, DistilledUnit> details, SqliteTransaction transaction)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO units (id, document_id, title, section, kind, text, tags, scenario, language, source_chunk_id, ordinal, detail)
            VALUES ($id, $document, $title, $section, $kind, $text, $tags, $scenario, $language, $source, $ordinal, $detail);
            """;
        var parameters = new[] { "$id", "$document", "$title", "$section", "$kind", "$text", "$tags", "$scenario", "$language", "$source", "$ordinal", "$detail" }
            .Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name }))
            .ToArray();
        for (var i = 0; i < units.Count; i++)
        {
            var u = units[i];
            object?[] values = [u.Id, u.DocumentId, u.Title, u.Section, u.Kind, u.Text, JsonSerializer.Serialize(u.Tags), u.Scenario, u.Language, u.SourceChunkId, i,
                details.TryGetValue(u.Id, out var detail) ? JsonSerializer.Serialize(detail) : null];
            for (var p = 0; p < parameters.Length; p++)
            {
                parameters[p].Value = values[p] ?? DBNull.Value;
            }

            command.ExecuteNonQuery();
        }
    }

    private static string[] Tags(string json) => JsonSerializer.Deserialize<string[]>(json) ?? [];

    private void Run(SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
