using System.Buffers;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace AgentCrm.Storage;

/// <summary>
/// One SQL statement prepared once on the writer's connection and run through SQLite's own API. Microsoft.Data.Sqlite makes
/// a data reader, a statement enumerator, a binder per parameter, the parameter names' and each string's UTF-8 bytes on every
/// execution of even a prepared command (~9% of what the event path allocated); this binds by index, encodes strings into a
/// pooled buffer (SQLite copies what it is given), and allocates nothing. Values bind as Microsoft.Data.Sqlite binds them
/// (<see cref="CanBind"/>); any other type goes through the <see cref="SqliteCommand"/>. Reset after every execution, failed
/// or not, so a failed transaction leaves it ready for the next one.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;
    private readonly bool _readOnly;
    private readonly string[] _names;
    private readonly int[] _indexes;

    private RawStatement(sqlite3 db, sqlite3_stmt stmt)
    {
        _db = db;
        _stmt = stmt;
        _readOnly = raw.sqlite3_stmt_readonly(stmt) != 0;
        var count = raw.sqlite3_bind_parameter_count(stmt);
        _names = new string[count];
        _indexes = new int[count];
        for (var i = 0; i < count; i++)
        {
            _names[i] = raw.sqlite3_bind_parameter_name(stmt, i + 1).utf8_to_string();
            _indexes[i] = i + 1;
        }
    }

    /// <summary>
    /// The statement prepared, or null when <paramref name="sql"/> is not exactly one statement with named parameters or does not
    /// prepare (the <see cref="SqliteCommand"/> then runs it and reports its error as it always has).
    /// </summary>
    public static RawStatement? TryPrepare(sqlite3 db, string sql)
    {
        if (raw.sqlite3_prepare_v2(db, sql, out var stmt, out var tail) != raw.SQLITE_OK)
        {
            stmt?.Dispose();
            return null;
        }
        if (stmt is null || stmt.IsInvalid || !string.IsNullOrWhiteSpace(tail))
        {
            stmt?.Dispose();
            return null;
        }
        var statement = new RawStatement(db, stmt);
        if (Array.Exists(statement._names, n => string.IsNullOrEmpty(n)))
        {
            statement.Dispose();
            return null;
        }
        return statement;
    }

    /// <summary>
    /// The types bound here exactly as Microsoft.Data.Sqlite binds them: null, text, integers, bool (0/1), double, blob (a
    /// <c>byte[]</c>, or a <see cref="ReadOnlyMemory{T}"/> of bytes bound as the <c>byte[]</c> of its contents would be).
    /// </summary>
    public static bool CanBind(object? value) =>
        value is null or DBNull or string or long or int or bool or byte[] or ReadOnlyMemory<byte> || value is double d && !double.IsNaN(d);

    /// <summary>
    /// Whether the arguments name every parameter of this statement, each once, with a type bound here (Microsoft.Data.Sqlite
    /// refuses a statement with a parameter left out; the command then says so).
    /// </summary>
    public bool Accepts(ReadOnlySpan<(string Name, object? Value)> args)
    {
        if (args.Length != _names.Length || _names.Length > 64)
            return false;
        var named = 0UL;
        foreach (var (name, value) in args)
        {
            var index = IndexOf(name);
            if (!CanBind(value) || index == 0)
                return false;
            named |= 1UL << (index - 1);
        }
        return named == (_names.Length == 64 ? ulong.MaxValue : (1UL << _names.Length) - 1);
    }

    /// <summary>Binds, steps once and resets: the rows changed (−1 for a statement that changes nothing, as Microsoft.Data.Sqlite).</summary>
    public int ExecuteNonQuery(ReadOnlySpan<(string Name, object? Value)> args)
    {
        try
        {
            Bind(args);
            Step();
            return _readOnly ? -1 : raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_stmt);
        }
    }

    /// <summary>Binds, steps once and resets: the first column of the first row when it is an integer, otherwise null.</summary>
    public long? ExecuteInt64(ReadOnlySpan<(string Name, object? Value)> args)
    {
        try
        {
            Bind(args);
            if (Step() && raw.sqlite3_column_type(_stmt, 0) == raw.SQLITE_INTEGER)
                return raw.sqlite3_column_int64(_stmt, 0);
            return null;
        }
        finally
        {
            raw.sqlite3_reset(_stmt);
        }
    }

    private bool Step()
    {
        var rc = raw.sqlite3_step(_stmt);
        if (rc == raw.SQLITE_ROW)
            return true;
        if (rc != raw.SQLITE_DONE)
            SqliteException.ThrowExceptionForRC(rc, _db);
        return false;
    }

    private int IndexOf(string name)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (string.Equals(_names[i], name, StringComparison.Ordinal))
                return _indexes[i];
        }
        return 0;
    }

    private void Bind(ReadOnlySpan<(string Name, object? Value)> args)
    {
        foreach (var (name, value) in args)
        {
            var index = IndexOf(name);
            var rc = value switch
            {
                null or DBNull => raw.sqlite3_bind_null(_stmt, index),
                string s => BindText(index, s),
                long l => raw.sqlite3_bind_int64(_stmt, index, l),
                int i => raw.sqlite3_bind_int64(_stmt, index, i),
                bool b => raw.sqlite3_bind_int64(_stmt, index, b ? 1 : 0),
                double d => raw.sqlite3_bind_double(_stmt, index, d),
                byte[] { Length: 0 } => raw.sqlite3_bind_zeroblob(_stmt, index, 0),
                byte[] bytes => raw.sqlite3_bind_blob(_stmt, index, bytes),
                // SQLite copies the blob (SQLITE_TRANSIENT): the memory may go back to a pool once this returns.
                ReadOnlyMemory<byte> { Length: 0 } => raw.sqlite3_bind_zeroblob(_stmt, index, 0),
                ReadOnlyMemory<byte> memory => raw.sqlite3_bind_blob(_stmt, index, memory.Span),
                _ => throw new ArgumentException($"Cannot bind a {value.GetType().Name} to {name}", nameof(args)),
            };
            if (rc != raw.SQLITE_OK)
                SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    private int BindText(int index, string value)
    {
        if (value.Length == 0)
            return raw.sqlite3_bind_text(_stmt, index, string.Empty);
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(value.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(value, buffer);
            // SQLite copies the text (SQLITE_TRANSIENT), so the buffer goes back to the pool at once.
            return raw.sqlite3_bind_text(_stmt, index, buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => _stmt.Dispose();
}
