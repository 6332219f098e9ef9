using Microsoft.Data.Sqlite;

namespace AgentCrm.Storage;

/// <summary>What a write operation sees: the writer's connection inside the open transaction, and prepared commands cached by SQL text.</summary>
public sealed class WriteContext
{
    private readonly Dictionary<string, SqliteCommand> _commands;
    // Statements run through SQLite's own API (null: one the command runs instead); see RawStatement.
    private readonly Dictionary<string, RawStatement?> _statements = new(StringComparer.Ordinal);
    private List<Action>? _afterCommit;
    private List<Action>? _onRollback;

    internal WriteContext(SqliteConnection connection, Dictionary<string, SqliteCommand> commands)
    {
        Connection = connection;
        _commands = commands;
    }

    public SqliteConnection Connection { get; }

    /// <summary>A prepared command for <paramref name="sql"/>, reused across batches; parameters keep their names, set their values.</summary>
    public SqliteCommand Command(string sql, params string[] parameters)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            foreach (var p in parameters)
                command.Parameters.Add(new SqliteParameter(p, null));
            command.Prepare();
            _commands[sql] = command;
        }
        return command;
    }

    /// <summary>Binds <paramref name="args"/> to the cached command for <paramref name="sql"/> and executes it; returns the rows changed.</summary>
    public int Execute(string sql, params ReadOnlySpan<(string Name, object? Value)> args)
    {
        if (Statement(sql) is { } statement && statement.Accepts(args))
            return statement.ExecuteNonQuery(args);
        return Bound(sql, args).ExecuteNonQuery();
    }

    /// <summary>
    /// Binds <paramref name="args"/> to <paramref name="sql"/> and executes it: the first column of the first row when it is an
    /// integer (an INSERT's <c>RETURNING seq</c>), null when there is no row or it is not.
    /// </summary>
    public long? ExecuteInt64(string sql, params ReadOnlySpan<(string Name, object? Value)> args)
    {
        if (Statement(sql) is { } statement && statement.Accepts(args))
            return statement.ExecuteInt64(args);
        return Bound(sql, args).ExecuteScalar() as long?;
    }

    private RawStatement? Statement(string sql)
    {
        if (!_statements.TryGetValue(sql, out var statement))
            _statements[sql] = statement = RawStatement.TryPrepare(Connection.Handle!, sql);
        return statement;
    }

    /// <summary>Finalizes the statements (the writer's connection is closing).</summary>
    internal void DisposeStatements()
    {
        foreach (var statement in _statements.Values)
            statement?.Dispose();
        _statements.Clear();
    }

    private SqliteCommand Bound(string sql, ReadOnlySpan<(string Name, object? Value)> args)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            var names = new string[args.Length];
            for (var i = 0; i < args.Length; i++)
                names[i] = args[i].Name;
            command = Command(sql, names);
        }
        foreach (var (name, value) in args)
            command.Parameters[name].Value = value is ReadOnlyMemory<byte> memory ? memory.ToArray() : value ?? DBNull.Value;
        return command;
    }

    /// <summary>Runs once the transaction holding the current operation has committed (e.g. advance an in-memory chain head).</summary>
    public void AfterCommit(Action action) => (_afterCommit ??= []).Add(action);

    /// <summary>Runs if the transaction is rolled back as a whole (undo in-memory state prepared by an operation).</summary>
    public void OnRollbackOf(Action action) => (_onRollback ??= []).Add(action);

    /// <summary>How many callbacks are registered, before an operation runs (see <see cref="Undo"/>).</summary>
    internal (int AfterCommit, int OnRollback) Mark() => (_afterCommit?.Count ?? 0, _onRollback?.Count ?? 0);

    /// <summary>
    /// Drops the callbacks an operation registered before it failed: its savepoint was rolled back, so what it announced
    /// (a brief for the stream, a new chain head) never happened, even though the rest of the batch commits.
    /// </summary>
    internal void Undo((int AfterCommit, int OnRollback) mark)
    {
        if (_afterCommit is { } after && after.Count > mark.AfterCommit)
            after.RemoveRange(mark.AfterCommit, after.Count - mark.AfterCommit);
        if (_onRollback is { } undo && undo.Count > mark.OnRollback)
            undo.RemoveRange(mark.OnRollback, undo.Count - mark.OnRollback);
    }

    /// <summary>A statement without parameters (SAVEPOINT, RELEASE), through SQLite's own API.</summary>
    internal void Exec(string sql) => Execute(sql);

    /// <summary>A statement without parameters through its <see cref="SqliteCommand"/> (COMMIT, ROLLBACK: its busy handling as ever).</summary>
    internal void ExecCommand(string sql) => Command(sql).ExecuteNonQuery();

    /// <summary>Runs the after-commit callbacks, each one whatever the others did; <paramref name="failed"/> hears of one that threw.</summary>
    internal void OnCommit(Action<Exception> failed)
    {
        var list = _afterCommit;
        _afterCommit = null;
        _onRollback = null;
        RunEach(list, failed);
    }

    /// <summary>Runs the rollback callbacks, each one whatever the others did; <paramref name="failed"/> hears of one that threw.</summary>
    internal void OnRollback(Action<Exception> failed)
    {
        var list = _onRollback;
        _afterCommit = null;
        _onRollback = null;
        RunEach(list, failed);
    }

    // A callback that throws must not leave the batch's callers waiting nor the writer's loop faulted (every later write
    // would wait for good): the commit or rollback has happened either way.
    private static void RunEach(List<Action>? list, Action<Exception> failed)
    {
        if (list is null)
            return;
        foreach (var a in list)
        {
            try
            {
                a();
            }
            catch (Exception ex)
            {
                failed(ex);
            }
        }
    }
}
