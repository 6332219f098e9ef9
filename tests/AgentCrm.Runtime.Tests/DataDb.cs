using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests;

/// <summary>A data directory's <c>agentcrm.db</c> written by hand, as damage, an earlier build or another process would leave it.</summary>
internal static class DataDb
{
    /// <summary>Runs <paramref name="sql"/> on its own connection (pools cleared first, so no pooled connection holds an old view).</summary>
    public static void Execute(string dataDirectory, string sql)
    {
        SqliteConnection.ClearAllPools();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDirectory, "agentcrm.db"), Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
