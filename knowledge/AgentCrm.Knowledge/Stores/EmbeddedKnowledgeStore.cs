using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Knowledge.Stores;

/// <summary>
/// The default store: records persisted in a SQLite file, vectors held in memory as one contiguous matrix and scanned
/// with SIMD dot products (System.Numerics.Tensors). Replace and delete run in one transaction, then the in-memory
/// snapshot is swapped, so readers never see half a document.
/// </summary>
public sealed class EmbeddedKnowledgeStore : IKnowledgeStore, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _writeLock = new();
    private volatile VectorIndex _index = VectorIndex.Empty;
    private int _dimension;

    public EmbeddedKnowledgeStore(string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var directory = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        Execute("""
            CREATE TABLE IF NOT EXISTS records (
                id TEXT PRIMARY KEY, document_id TEXT NOT NULL, title TEXT NOT NULL, section TEXT NOT NULL,
                kind TEXT NOT NULL, text TEXT NOT NULL, tags TEXT NOT NULL, scenario TEXT, language TEXT NOT NULL,
                source_chunk_id TEXT, ordinal INTEGER NOT NULL, vector BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS records_document ON records(document_id);
            """);
        Load();
    }

    public int Count => _index.Records.Length;

    public Task<bool> EnsureReadyAsync(int dimension, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        lock (_writeLock)
        {
            if (_index.Records.Length > 0 && _dimension != dimension)
            {
                throw new InvalidOperationException($"The knowledge database holds vectors of dimension {_dimension}, not {dimension}; delete it or set Knowledge:Dimension to {_dimension}.");
            }

            _dimension = dimension;
        }

        return Task.FromResult(_index.Records.Length == 0);
    }

    public Task ReplaceDocumentAsync(string documentId, IReadOnlyList<KnowledgeRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(documentId);
        ArgumentNullException.ThrowIfNull(records);
        lock (_writeLock)
        {
            var dimension = _index.Records.Length > 0 || _dimension > 0 ? _dimension : records.FirstOrDefault()?.Vector.Length ?? 0;
            foreach (var record in records)
            {
                if (record.DocumentId != documentId)
                {
                    throw new ArgumentException($"Record '{record.Id}' belongs to '{record.DocumentId}', not '{documentId}'.", nameof(records));
                }

                if (record.Vector.Length != dimension)
                {
                    throw new ArgumentException($"Record '{record.Id}' has a vector of dimension {record.Vector.Length}; the store uses {dimension}.", nameof(records));
                }
            }

            using (var transaction = _connection.BeginTransaction())
            {
                DeleteRows(documentId, transaction);
                InsertRows(records, transaction);
                transaction.Commit();
            }

            SqliteWal.Truncate(_connection);

            _dimension = dimension;
            _index = _index.Replace(documentId, records, dimension);
        }

        return Task.CompletedTask;
    }

    public Task DeleteDocumentAsync(string documentId, CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            using (var transaction = _connection.BeginTransaction())
            {
                DeleteRows(documentId, transaction);
                transaction.Commit();
            }

            SqliteWal.Truncate(_connection);

            _index = _index.Replace(documentId, [], _dimension);
        }

        return Task.CompletedTask;
    }

    public Task UpdateDocumentMetadataAsync(string documentId, DocumentMetadata metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        lock (_writeLock)
        {
            using (var transaction = _connection.BeginTransaction())
            using (var command = _connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = "UPDATE records SET title = $title, tags = $tags, scenario = $scenario, language = $language WHERE document_id = $document;";
                command.Parameters.AddWithValue("$title", metadata.Title);
                command.Parameters.AddWithValue("$tags", JsonSerializer.Serialize(metadata.Tags));
                command.Parameters.AddWithValue("$scenario", (object?)metadata.Scenario ?? DBNull.Value);
                command.Parameters.AddWithValue("$language", metadata.Language);
                command.Parameters.AddWithValue("$document", documentId);
                command.ExecuteNonQuery();
                transaction.Commit();
            }

            SqliteWal.Truncate(_connection);

            var records = _index.Records.Where(r => r.DocumentId == documentId)
                .Select(r => r with { Title = metadata.Title, Tags = metadata.Tags, Scenario = metadata.Scenario, Language = metadata.Language })
                .ToList();
            _index = _index.Replace(documentId, records, _dimension);
        }

        return Task.CompletedTask;
    }

    /// <summary>Reads every record again from the SQLite file (another process, the CLI, may have written it) and swaps the in-memory snapshot.</summary>
    public Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            Load();
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<VectorHit>> SearchAsync(float[] query, int k, SearchFilter? filter = null, double? scoreThreshold = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var index = _index;
        if (k <= 0 || index.Records.Length == 0)
        {
            return Task.FromResult<IReadOnlyList<VectorHit>>([]);
        }

        if (query.Length != index.Dimension)
        {
            throw new ArgumentException($"The query vector has dimension {query.Length}; the store uses {index.Dimension}.", nameof(query));
        }

        Func<KnowledgeRecord, bool>? predicate = filter.IsEmpty() ? null : filter.Matches;
        var rows = index.Search(query, k, predicate, scoreThreshold is { } t ? (float)t : float.NegativeInfinity);
        IReadOnlyList<VectorHit> hits = [.. rows.Select(r => new VectorHit(index.Records[r.Row], r.Score))];
        return Task.FromResult(hits);
    }

    public Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            lock (_writeLock)
            {
                Execute("SELECT 1;");
            }

            return Task.FromResult(true);
        }
        catch (SqliteException)
        {
            return Task.FromResult(false);
        }
    }

    public void Dispose()
    {
        lock (_writeLock)
        {
            SqliteWal.Truncate(_connection);
        }

        _connection.Dispose();
    }

    internal VectorIndex Snapshot => _index;

    private void Load()
    {
        var records = new List<KnowledgeRecord>();
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id, document_id, title, section, kind, text, tags, scenario, language, source_chunk_id, vector FROM records ORDER BY document_id, ordinal;";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var bytes = (byte[])reader[10];
            records.Add(new KnowledgeRecord(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                JsonSerializer.Deserialize<string[]>(reader.GetString(6)) ?? [],
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetString(8),
                MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
                reader.IsDBNull(9) ? null : reader.GetString(9)));
        }

        _dimension = records.Count > 0 ? records[0].Vector.Length : _dimension;
        _index = VectorIndex.Build(_dimension, records);
    }

    private void DeleteRows(string documentId, SqliteTransaction transaction)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM records WHERE document_id = $document;";
        command.Parameters.AddWithValue("$document", documentId);
        command.ExecuteNonQuery();
    }

    private void InsertRows(IReadOnlyList<KnowledgeRecord> records, SqliteTransaction transaction)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO records (id, document_id, title, section, kind, text, tags, scenario, language, source_chunk_id, ordinal, vector)
            VALUES ($id, $document, $title, $section, $kind, $text, $tags, $scenario, $language, $source, $ordinal, $vector);
            """;
        var parameters = new[] { "$id", "$document", "$title", "$section", "$kind", "$text", "$tags", "$scenario", "$language", "$source", "$ordinal", "$vector" }
            .Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name }))
            .ToArray();
        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            object?[] values = [r.Id, r.DocumentId, r.Title, r.Section, r.Kind, r.Text, JsonSerializer.Serialize(r.Tags), r.Scenario, r.Language, r.SourceChunkId, i, MemoryMarshal.AsBytes(r.Vector.AsSpan()).ToArray()];
            for (var p = 0; p < parameters.Length; p++)
            {
                parameters[p].Value = values[p] ?? DBNull.Value;
            }

            command.ExecuteNonQuery();
        }
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
