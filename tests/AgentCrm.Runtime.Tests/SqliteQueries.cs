using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace AgentCrm.Runtime.Tests;

/// <summary>What a query the server runs costs SQLite, on the server's own database: its plan, or the steps it takes.</summary>
internal static class SqliteQueries
{
    /// <summary>The lines of <c>EXPLAIN QUERY PLAN</c> for <paramref name="cmd"/>'s query, with its parameters.</summary>
    public static List<string> Plan(SqliteCommand cmd)
    {
        using var plan = cmd.Connection!.CreateCommand();
        plan.CommandText = "EXPLAIN QUERY PLAN " + cmd.CommandText;
        foreach (SqliteParameter p in cmd.Parameters)
            plan.Parameters.AddWithValue(p.ParameterName, p.Value);
        using var reader = plan.ExecuteReader();
        var steps = new List<string>();
        while (reader.Read())
            steps.Add(reader.GetString(3));
        return steps;
    }

    /// <summary>The virtual-machine steps <paramref name="cmd"/>'s query takes to run to its end: a bound on the rows it reads.</summary>
    public static int Steps(SqliteCommand cmd)
    {
        Assert.Equal(raw.SQLITE_OK, raw.sqlite3_prepare_v2(cmd.Connection!.Handle!, cmd.CommandText, out sqlite3_stmt stmt));
        using (stmt)
        {
            foreach (SqliteParameter p in cmd.Parameters)
            {
                var i = raw.sqlite3_bind_parameter_index(stmt, p.ParameterName);
                Assert.Equal(raw.SQLITE_OK, p.Value is string text ? raw.sqlite3_bind_text(stmt, i, text) : raw.sqlite3_bind_int64(stmt, i, Convert.ToInt64(p.Value)));
            }
            int rc;
            while ((rc = raw.sqlite3_step(stmt)) == raw.SQLITE_ROW)
            {
            }
            Assert.Equal(raw.SQLITE_DONE, rc);
            return raw.sqlite3_stmt_status(stmt, raw.SQLITE_STMTSTATUS_VM_STEP, 0);
        }
    }
}
