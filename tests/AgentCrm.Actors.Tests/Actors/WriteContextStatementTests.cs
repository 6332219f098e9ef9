using AgentCrm.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentCrm.Actors.Tests.Actors;

/// <summary>
/// <see cref="WriteContext.Execute"/> and <see cref="WriteContext.ExecuteInt64"/> run their statements through SQLite's own API
/// (no per-execution objects): what they store, count and report must be what a Microsoft.Data.Sqlite command stores, counts
/// and reports, and a failed statement must leave the next write working.
/// </summary>
public sealed class WriteContextStatementTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private async Task<(SqliteWriter Writer, SqliteDatabase Database)> WriterAsync()
    {
        var options = Options.Create(new StorageOptions { DataDirectory = _directory.Path, Synchronous = SyncMode.Normal });
        var database = new SqliteDatabase(options);
        var writer = new SqliteWriter(database, options, NullLogger<SqliteWriter>.Instance);
        await writer.WriteAsync(ctx => ctx.Execute("CREATE TABLE v (id INTEGER PRIMARY KEY, how TEXT NOT NULL, k TEXT NOT NULL, x ANY) STRICT"));
        return (writer, database);
    }

    public static TheoryData<string, object?> Values => new()
    {
        { "text", "plain" },
        { "empty text", "" },
        { "non-ASCII text", "Zoë — 東京 🚀" },
        { "a lone surrogate", "a\ud800b" },
        { "long", long.MaxValue },
        { "int", -7 },
        { "bool", true },
        { "double", 0.1 },
        { "NaN", double.NaN },
        { "blob", new byte[] { 0, 1, 255 } },
        { "empty blob", Array.Empty<byte>() },
        { "null", null },
        { "DBNull", DBNull.Value },
        { "a DateTime (through the command)", new DateTime(2026, 12, 6, 7, 0, 0, DateTimeKind.Utc) },
        { "a Guid (through the command)", Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff") },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public async Task AValue_IsStoredAsACommandStoresIt(string kind, object? value)
    {
        var (writer, database) = await WriterAsync();
        await using (writer)
        {
            const string Sql = "INSERT INTO v (how, k, x) VALUES ($how, $k, $x)";
            var viaExecute = writer.WriteAsync(ctx => ctx.Execute(Sql, ("$how", "execute"), ("$k", kind), ("$x", value)));
            var viaCommand = writer.WriteAsync(ctx =>
            {
                using var command = ctx.Connection.CreateCommand();
                command.CommandText = Sql;
                command.Parameters.AddWithValue("$how", "command");
                command.Parameters.AddWithValue("$k", kind);
                command.Parameters.AddWithValue("$x", value ?? DBNull.Value);
                return command.ExecuteNonQuery();
            });
            var outcomes = await Task.WhenAll(Outcome(viaExecute), Outcome(viaCommand));
            Assert.Equal(outcomes[1], outcomes[0]);
        }

        using var connection = database.Open();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT how, typeof(x), quote(x) FROM v ORDER BY how";
        using var rows = read.ExecuteReader();
        var stored = new List<string>();
        while (rows.Read())
            stored.Add($"{rows.GetString(1)} {rows.GetString(2)}");
        Assert.True(stored.Count is 0 or 2, $"{kind}: {string.Join(" | ", stored)}");
        if (stored.Count == 2)
            Assert.Equal(stored[1], stored[0]);
    }

    private static async Task<string> Outcome(Task<int> write)
    {
        try
        {
            return $"changed {await write}";
        }
        catch (Exception ex)
        {
            return ex.GetType().Name;
        }
    }

    [Fact]
    public async Task AStatementThatFails_ReportsSqlitesError_AndTheSameStatementWorksInTheNextWrite()
    {
        var (writer, database) = await WriterAsync();
        await using (writer)
        {
            const string Sql = "INSERT INTO v (id, how, k, x) VALUES ($id, 'execute', $k, NULL)";
            await writer.WriteAsync(ctx => ctx.Execute(Sql, ("$id", 1L), ("$k", "first")));

            var duplicate = await Assert.ThrowsAsync<SqliteException>(() => writer.WriteAsync(ctx => ctx.Execute(Sql, ("$id", 1L), ("$k", "again"))));
            Assert.Equal(19, duplicate.SqliteErrorCode); // SQLITE_CONSTRAINT
            Assert.Equal(1555, duplicate.SqliteExtendedErrorCode); // SQLITE_CONSTRAINT_PRIMARYKEY
            var nullText = await Assert.ThrowsAsync<SqliteException>(() => writer.WriteAsync(ctx => ctx.Execute(Sql, ("$id", 2L), ("$k", null))));
            Assert.Equal(1299, nullText.SqliteExtendedErrorCode); // SQLITE_CONSTRAINT_NOTNULL

            Assert.Equal(1, await writer.WriteAsync(ctx => ctx.Execute(Sql, ("$id", 2L), ("$k", "second"))));
            // A parameter left out is refused (as a new command refuses it), neither bound as NULL nor left at the value the
            // execution before bound (what the cached command did).
            await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WriteAsync(ctx => ctx.Execute(Sql, ("$id", 3L))));
        }

        using var connection = database.Open();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT group_concat(k, ',') FROM (SELECT k FROM v ORDER BY id)";
        Assert.Equal("first,second", read.ExecuteScalar());
    }

    [Fact]
    public async Task ExecuteInt64_AnswersTheReturnedSeq_OrNullWhenNoRowWasInserted_AndExecuteCountsChangedRows()
    {
        var (writer, _) = await WriterAsync();
        await using var _ = writer;
        const string Insert = "INSERT OR IGNORE INTO v (id, how, k) VALUES ($id, 'execute', $k) RETURNING id";

        var (first, again, changed, none) = await writer.WriteAsync(ctx => (
            ctx.ExecuteInt64(Insert, ("$id", 41L), ("$k", "a")),
            ctx.ExecuteInt64(Insert, ("$id", 41L), ("$k", "b")),
            ctx.Execute("UPDATE v SET k = $k WHERE id >= $id", ("$k", "c"), ("$id", 0L)),
            ctx.Execute("UPDATE v SET k = $k WHERE id < $id", ("$k", "d"), ("$id", 0L))));

        Assert.Equal(41L, first);
        Assert.Null(again);
        Assert.Equal(1, changed);
        Assert.Equal(0, none);
    }

    [Fact]
    public async Task Executing_APreparedStatement_AllocatesNothingPerExecution()
    {
        var (writer, _) = await WriterAsync();
        await using var _ = writer;
        const string Sql = "INSERT INTO v (how, k, x) VALUES ($how, $k, $x)";
        object how = "execute", key = new string('k', 200), blob = new byte[4096];

        // Before, every execution made a data reader, a statement enumerator, a binder per parameter and each string's
        // UTF-8 bytes: ~1 KB for this row. The arguments are boxed beforehand; the first execution prepares the statement.
        var allocated = await writer.WriteAsync(ctx =>
        {
            ctx.Execute(Sql, ("$how", how), ("$k", key), ("$x", blob));
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
                ctx.Execute(Sql, ("$how", how), ("$k", key), ("$x", blob));
            return GC.GetAllocatedBytesForCurrentThread() - before;
        });

        Assert.True(allocated < 1000, $"1,000 executions allocated {allocated:N0} bytes");
    }
}
