using System.Collections.Concurrent;
using AgentCrm.Storage;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Actors;

/// <summary>
/// Actor state in the embedded SQLite file: point reads on a small pool of reader connections (WAL lets
/// them run beside the writer), and each turn's changes, with the writes it enlisted, as one group-commit operation,
/// so they land together or not at all.
/// </summary>
public sealed class SqliteActorStateStore(SqliteDatabase database, SqliteWriter writer) : IActorStateStore, IDisposable
{
    private const string SelectSql = "SELECT value FROM actor_state WHERE actor_type = $type AND actor_id = $id AND key = $key";
    private const string UpsertSql = """
        INSERT INTO actor_state (actor_type, actor_id, key, value) VALUES ($type, $id, $key, $value)
        ON CONFLICT (actor_type, actor_id, key) DO UPDATE SET value = excluded.value
        """;
    private const string DeleteSql = "DELETE FROM actor_state WHERE actor_type = $type AND actor_id = $id AND key = $key";
    private static readonly int MaxIdleReaders = Environment.ProcessorCount * 2;

    private readonly ConcurrentBag<Reader> _readers = [];
    private bool _disposed;
    private long _valuesWritten;
    private long _bytesWritten;

    /// <summary>State values written (upserts committed or about to be: counted as the writer runs them) since start.</summary>
    public long ValuesWritten => Interlocked.Read(ref _valuesWritten);

    /// <summary>The bytes of the JSON of those values.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    public Task<byte[]?> LoadAsync(ActorId id, string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var reader = _readers.TryTake(out var pooled) ? pooled : new Reader(database.Open());
        byte[]? value;
        try
        {
            value = reader.Load(id, key);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
        if (_disposed || _readers.Count >= MaxIdleReaders)
            reader.Dispose();
        else
            _readers.Add(reader);
        return Task.FromResult(value);
    }

    public Task SaveAsync(ActorId id, TurnChanges changes, CancellationToken cancellationToken)
    {
        if (changes.IsEmpty)
            return Task.CompletedTask;
        cancellationToken.ThrowIfCancellationRequested();
        // One operation: the turn's enlisted writes and its state land in the same transaction, or neither does.
        return writer.WriteAsync(ctx =>
        {
            foreach (var write in changes.Writes)
                write(ctx);
            if (changes.State.Count == 0)
                return;
            foreach (var change in changes.State)
            {
                // The JSON binds from the (pooled) memory it was written into: SQLite copies it, no byte[] is made for it.
                if (change.Value is { } value)
                {
                    ctx.Execute(UpsertSql, ("$type", id.Type), ("$id", id.Id), ("$key", change.Key), ("$value", value));
                    Interlocked.Increment(ref _valuesWritten);
                    Interlocked.Add(ref _bytesWritten, value.Length);
                }
                else
                    ctx.Execute(DeleteSql, ("$type", id.Type), ("$id", id.Id), ("$key", change.Key));
            }
        });
    }

    public void Dispose()
    {
        _disposed = true;
        while (_readers.TryTake(out var reader))
            reader.Dispose();
    }

    private sealed class Reader : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _select;

        public Reader(SqliteConnection connection)
        {
            _connection = connection;
            _select = connection.CreateCommand();
            _select.CommandText = SelectSql;
            _select.Parameters.Add(new SqliteParameter("$type", SqliteType.Text));
            _select.Parameters.Add(new SqliteParameter("$id", SqliteType.Text));
            _select.Parameters.Add(new SqliteParameter("$key", SqliteType.Text));
            _select.Prepare();
        }

        public byte[]? Load(ActorId id, string key)
        {
            _select.Parameters["$type"].Value = id.Type;
            _select.Parameters["$id"].Value = id.Id;
            _select.Parameters["$key"].Value = key;
            return _select.ExecuteScalar() as byte[];
        }

        public void Dispose()
        {
            _select.Dispose();
            _connection.Dispose();
        }
    }
}
