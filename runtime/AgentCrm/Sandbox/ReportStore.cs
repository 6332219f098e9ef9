using AgentCrm.Sandbox.Reports;
using AgentCrm.Storage;

namespace AgentCrm.Sandbox;

/// <summary>Sandbox reports, each for one exact version (content hash) and case set.</summary>
public sealed class ReportStore(SqliteDatabase database, SqliteWriter writer)
{
    /// <summary>The id of the report a job writes: a job run again after a stop writes the same report once.</summary>
    public static string IdFor(string jobId) => "rep_" + (jobId.StartsWith("job_", StringComparison.Ordinal) ? jobId[4..] : jobId);

    /// <summary>A new report id.</summary>
    public static string NewId() => "rep_" + Guid.NewGuid().ToString("N")[..20];

    /// <summary>Stores the report under <paramref name="id"/> (a new one when null); a report already stored under that id is kept as it is.</summary>
    public async Task<string> AddAsync(SandboxReport report, string? id = null)
    {
        id ??= NewId();
        await writer.WriteAsync(ctx => Insert(ctx, report, id));
        return id;
    }

    /// <summary>Stores the report under <paramref name="id"/> in the caller's transaction; a report already stored under that id is kept as it is.</summary>
    public static void Insert(WriteContext ctx, SandboxReport report, string id) =>
        ctx.Execute(
            "INSERT INTO sandbox_reports (id, agent_id, version, content_hash, case_set, passed, created_at, json) VALUES ($id, $a, $v, $h, $c, $p, $t, $j) ON CONFLICT(id) DO NOTHING",
            ("$id", id), ("$a", report.AgentId), ("$v", report.Version), ("$h", report.ContentHash), ("$c", report.CaseSet),
            ("$p", report.Passed ? 1 : 0), ("$t", report.CreatedAt.ToUniversalTime().ToString("O")), ("$j", SandboxReportJson.Serialize(report)));

    /// <summary>The newest report of a version (any content hash).</summary>
    public SandboxReport? Latest(string agentId, string version) => LatestStored(agentId, version)?.Report;

    /// <summary>The newest report of a version (any content hash), with the id it is stored under.</summary>
    public StoredReport? LatestStored(string agentId, string version) =>
        One("SELECT id, json FROM sandbox_reports WHERE agent_id = $a AND version = $v ORDER BY created_at DESC LIMIT 1", ("$a", agentId), ("$v", version));

    /// <summary>
    /// The report the gate judges for exactly this content: of the newest report on each case set, the newest passing one,
    /// else the newest; null when there is none. A failing report on another case set does not undo a passing one, but a
    /// newer one on the same case set does: replays are deterministic within a build, not across builds (an upgrade that
    /// scores the same content differently, qa42d #1), so an older build's pass is not this build's.
    /// </summary>
    public SandboxReport? ForGate(string agentId, string version, string contentHash) =>
        One("""
            SELECT id, json FROM (
                SELECT id, json, passed, created_at, row_number() OVER (PARTITION BY case_set ORDER BY created_at DESC, rowid DESC) AS n
                FROM sandbox_reports WHERE agent_id = $a AND version = $v AND content_hash = $h)
            WHERE n = 1 ORDER BY passed DESC, created_at DESC LIMIT 1
            """,
            ("$a", agentId), ("$v", version), ("$h", contentHash))?.Report;

    public SandboxReport? Get(string id) => GetStored(id)?.Report;

    /// <summary>The report a job names (<c>reportId</c>), with its id.</summary>
    public StoredReport? GetStored(string id) => One("SELECT id, json FROM sandbox_reports WHERE id = $id", ("$id", id));

    private StoredReport? One(string sql, params (string Name, object Value)[] args)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
            cmd.Parameters.AddWithValue(name, value);
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? new StoredReport(reader.GetString(0), SandboxReportJson.Deserialize(reader.GetString(1))) : null;
    }
}

/// <summary>A report and the id it is stored under (a column, not part of the report's JSON).</summary>
public sealed record StoredReport(string Id, SandboxReport Report);
