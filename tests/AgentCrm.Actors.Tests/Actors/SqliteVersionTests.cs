using Microsoft.Data.Sqlite;

namespace AgentCrm.Actors.Tests.Actors;

/// <summary>
/// The SQLite the product bundles (SQLitePCLRaw.bundle_e_sqlite3) has the fix for the WAL-reset bug (sqlite.org/wal.html,
/// "The WAL-Reset Bug": 3.7.0 to 3.51.2, fixed in 3.51.3, backported to 3.50.7 and 3.44.6). Its setup is ours: one connection
/// checkpoints every 200 ms while the group-commit writer, auto-checkpoint off, restarts the log; the race can make a later
/// checkpoint skip a committed transaction's frames, whose pages then revert. 3.0.3 of the bundle carried 3.50.4 (flake39).
/// </summary>
public sealed class SqliteVersionTests
{
    [Fact]
    public void BundledSqlite_HasTheWalResetFix()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version()";
        var version = Version.Parse((string)command.ExecuteScalar()!);

        var fixedIn = version.Major == 3 && version.Minor switch
        {
            44 => version.Build >= 6,
            50 => version.Build >= 7,
            _ => version.Minor >= 51 && (version.Minor > 51 || version.Build >= 3),
        };
        Assert.True(fixedIn, $"SQLite {version} has the WAL-reset bug (fixed in 3.51.3, 3.50.7, 3.44.6).");
    }
}
