using AgentCrm.Storage;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Briefs;

/// <summary>
/// An agent's counts per version for its health: briefs by state, explained and approved, and CSMs' responses. Read from
/// <c>brief_counts</c>, a few rows a version that triggers keep in the transaction of every write to briefs, their reviews
/// and responses (<see cref="Server.ServerSchema"/>), so a request costs the same after a million briefs as after one;
/// counting the history each time took 170 ms a request at 500,000 briefs. The recount queries are what health ran
/// before: the start fills the table with them once, and tests hold the counters to them.
/// </summary>
public static class BriefCounters
{
    public const string ReadSql = "SELECT agent_version, counter, n FROM brief_counts WHERE agent_id = $a";

    /// <summary>The counts of <paramref name="agentId"/>'s versions, by version (versions with nothing counted are missing).</summary>
    public static Dictionary<string, (BriefCounts Briefs, ResponseCounts Responses)> Read(SqliteDatabase database, string agentId)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = ReadSql;
        cmd.Parameters.AddWithValue("$a", agentId);
        var counts = new Dictionary<string, (BriefCounts Briefs, ResponseCounts Responses)>(StringComparer.Ordinal);
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            var version = reader.GetString(0);
            var (b, r) = counts.GetValueOrDefault(version, (new BriefCounts(), new ResponseCounts()));
            var counter = reader.GetString(1);
            var n = reader.GetInt64(2);
            counts[version] = counter switch
            {
                "approved" => (b with { Approved = b.Approved + n }, r),
                "acknowledged" => (b, r with { AcknowledgedBriefs = r.AcknowledgedBriefs + n }),
                "useful" => (b, r with { Useful = r.Useful + n }),
                "notUseful" => (b, r with { NotUseful = r.NotUseful + n }),
                _ when counter.StartsWith("briefs:", StringComparison.Ordinal) => (Add(b, counter["briefs:".Length..], n, 0), r),
                _ when counter.StartsWith("explained:", StringComparison.Ordinal) => (Add(b, counter["explained:".Length..], 0, n), r),
                _ => (b, r),
            };
        }
        return counts;
    }

    /// <summary>Adds briefs of a state, and explained ones (counted for every state but shadow, as <see cref="BriefCounts.Explained"/> says).</summary>
    private static BriefCounts Add(BriefCounts c, string status, long n, long explained) => status switch
    {
        "delivered" => c with { Delivered = c.Delivered + n, Explained = c.Explained + explained },
        "pendingReview" => c with { Pending = c.Pending + n, Explained = c.Explained + explained },
        "vetoed" => c with { Vetoed = c.Vetoed + n, Explained = c.Explained + explained },
        "retracted" => c with { Retracted = c.Retracted + n, Explained = c.Explained + explained },
        _ => c with { Shadow = c.Shadow + n },
    };

    /// <summary>Health's brief counts before the counters: every brief of the agent, through <c>briefs_version_counts</c>.</summary>
    public const string RecountBriefsSql = """
        SELECT agent_version, status, count(*),
               sum(json_array_length(body, '$.reasons') > 0 AND json_array_length(body, '$.citations') > 0)
        FROM briefs WHERE agent_id = $a GROUP BY agent_version, status
        """;

    public const string RecountApprovedSql =
        "SELECT agent_version, count(*) FROM brief_reviews WHERE agent_id = $a AND verdict = 'approved' GROUP BY agent_version";

    /// <summary>CSMs' responses only (a CSM's row is named by their id, which has no ':'; others' by <c>role:name</c>).</summary>
    public const string RecountResponsesSql = """
        SELECT agent_version, count(DISTINCT brief_id), coalesce(sum(useful = 1), 0), coalesce(sum(useful = 0), 0)
        FROM brief_responses WHERE agent_id = $a AND instr(responder, ':') = 0 GROUP BY agent_version
        """;

    /// <summary>The same counts by the recount queries, reading the agent's whole history: for checks, never per request.</summary>
    public static Dictionary<string, (BriefCounts Briefs, ResponseCounts Responses)> Recount(SqliteConnection connection, string agentId)
    {
        var counts = new Dictionary<string, (BriefCounts Briefs, ResponseCounts Responses)>(StringComparer.Ordinal);
        void Each(string sql, Action<SqliteDataReader, BriefCounts, ResponseCounts, string> row)
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            cmd.Parameters.AddWithValue("$a", agentId);
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                var version = reader.GetString(0);
                var (b, r) = counts.GetValueOrDefault(version, (new BriefCounts(), new ResponseCounts()));
                row(reader, b, r, version);
            }
        }
        Each(RecountBriefsSql, (row, b, r, v) => counts[v] = (Add(b, row.GetString(1), row.GetInt64(2), row.IsDBNull(3) ? 0 : row.GetInt64(3)), r));
        Each(RecountApprovedSql, (row, b, r, v) => counts[v] = (b with { Approved = row.GetInt64(1) }, r));
        Each(RecountResponsesSql, (row, b, _, v) => counts[v] = (b, new ResponseCounts(row.GetInt64(1), row.GetInt64(2), row.GetInt64(3))));
        return counts;
    }
}
