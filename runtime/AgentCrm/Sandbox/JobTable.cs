using System.Globalization;
using System.Text.Json;
using AgentCrm.Audit;
using AgentCrm.Storage;

namespace AgentCrm.Sandbox;

/// <summary>
/// Where sandbox jobs are kept: <c>jobs</c> (each job's status) and <c>job_requests</c> (what it runs, how many runs began, a
/// cancel asked), written through the group-commit writer; and the agent transitions a job checks for an unregister.
/// </summary>
internal sealed class JobTable(SqliteDatabase database, SqliteWriter writer, AuditLog audit)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string SelectSql =
        "SELECT j.id, j.kind, j.subject, j.state, j.done, j.total, j.report_id, j.error, j.created_at, j.updated_at, r.request, r.attempts FROM jobs j LEFT JOIN job_requests r ON r.job_id = j.id";

    /// <summary>The jobs stored as running, oldest first, with their stored request and the number of runs that began.</summary>
    public IReadOnlyList<(JobStatus Job, string? Request, int Begun)> ReadRunning()
    {
        var running = new List<(JobStatus Job, string? Request, int Begun)>();
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"{SelectSql} WHERE j.state = 'running' ORDER BY j.created_at";
        using var r = cmd.ExecuteReader();
        while (r.Read())
            running.Add((Read(r), r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? 0 : r.GetInt32(11)));
        return running;
    }

    /// <summary>The job as stored (a job stored as running may not run here), or null.</summary>
    public JobStatus? Find(string id)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"{SelectSql} WHERE j.id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    /// <summary>
    /// Jobs newest first, filtered by state, kind and agent (each optional), <paramref name="take"/> after the position
    /// <paramref name="after"/> (created at, id) of the previous page's last; with the position of this page's last when more
    /// follow. A job stored as running shows (and filters) as the state <paramref name="live"/> gives it (running; ended, its end
    /// not stored yet), else as interrupted.
    /// </summary>
    public (IReadOnlyList<JobStatus> Items, (string CreatedAt, string Id)? Next) List(
        string? state, string? kind, string? agent, int take, (string CreatedAt, string Id)? after, IReadOnlyDictionary<string, string> live)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            SELECT * FROM (SELECT j.id, j.kind, j.subject,
                CASE WHEN j.state = 'running' THEN coalesce(json_extract($live, '$."' || j.id || '"'), 'interrupted') ELSE j.state END AS state,
                j.done, j.total, j.report_id, j.error, j.created_at, j.updated_at, r.request, r.attempts
              FROM jobs j LEFT JOIN job_requests r ON r.job_id = j.id) j
            WHERE ($state IS NULL OR j.state = $state) AND ($kind IS NULL OR j.kind = $kind)
              AND ($agent IS NULL OR substr(j.subject, 1, length($agent) + 1) = $agent || '@')
              AND ($c IS NULL OR j.created_at < $c OR (j.created_at = $c AND j.id < $i))
            ORDER BY j.created_at DESC, j.id DESC LIMIT $take
            """;
        cmd.Parameters.AddWithValue("$live", JsonSerializer.Serialize(live));
        cmd.Parameters.AddWithValue("$state", (object?)state ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$kind", (object?)kind ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$agent", (object?)agent ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$c", (object?)after?.CreatedAt ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$i", (object?)after?.Id ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$take", take + 1);
        var items = new List<(JobStatus Job, string CreatedAt)>();
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                items.Add((Read(r), r.GetString(8)));
        var more = items.Count > take;
        if (more)
            items.RemoveAt(items.Count - 1);
        return (items.Select(i => i.Job).ToList(), more ? (items[^1].CreatedAt, items[^1].Job.Id) : null);
    }

    private static JobStatus Read(Microsoft.Data.Sqlite.SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5),
            r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7),
            DateTimeOffset.Parse(r.GetString(8), CultureInfo.InvariantCulture), DateTimeOffset.Parse(r.GetString(9), CultureInfo.InvariantCulture))
        {
            Attempt = r.IsDBNull(11) ? 1 : Math.Max(1, r.GetInt32(11)),
        };

    /// <summary>A stored request read back; null when it cannot be.</summary>
    public static JobRequest? ReadRequest(string? stored)
    {
        if (stored is null)
            return null;
        try
        {
            return JsonSerializer.Deserialize<JobRequest>(stored, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Saves the job's status; with <paramref name="request"/> (a new job) its request too, in the same transaction (no run begun
    /// yet). A job ending cancelled (<paramref name="cancelledBy"/>, audited) or failed (<paramref name="dropReport"/>) drops in
    /// that transaction what its run may have stored under its report id (an evaluation stopped between writing its report and
    /// marking the version): the job's end and its report are stored together or not at all.
    /// </summary>
    public Task SaveAsync(JobStatus j, JobRequest? request = null, string? cancelledBy = null, bool dropReport = false) => writer.WriteAsync(ctx =>
    {
        ctx.Execute(
            """
            INSERT INTO jobs (id, kind, subject, state, done, total, report_id, error, created_at, updated_at) VALUES ($id, $k, $s, $st, $d, $t, $r, $e, $c, $u)
            ON CONFLICT(id) DO UPDATE SET subject = excluded.subject, state = excluded.state, done = excluded.done, total = excluded.total, report_id = excluded.report_id, error = excluded.error, updated_at = excluded.updated_at
            """,
            ("$id", j.Id), ("$k", j.Kind), ("$s", j.Subject), ("$st", j.State), ("$d", j.Done), ("$t", j.Total), ("$r", j.ReportId), ("$e", j.Error),
            ("$c", j.CreatedAt.ToString("O")), ("$u", j.UpdatedAt.ToString("O")));
        if (request is not null)
            ctx.Execute("INSERT INTO job_requests (job_id, request, attempts) VALUES ($id, $q, 0)", ("$id", j.Id), ("$q", JsonSerializer.Serialize(request, Json)));
        if (cancelledBy is not null || dropReport)
            ctx.Execute("DELETE FROM sandbox_reports WHERE id = $r", ("$r", ReportStore.IdFor(j.Id)));
        if (cancelledBy is not null)
        {
            audit.Append(ctx, cancelledBy, "job.cancelled", $"job:{j.Id}",
                new Dictionary<string, object?> { ["kind"] = j.Kind, ["subject"] = j.Subject, ["reason"] = j.Error, ["done"] = j.Done, ["total"] = j.Total }, j.UpdatedAt);
        }
    });

    /// <summary>
    /// Stores a cancel with a job still running in the table (a job stored as ended is left as it is); the first stored wins.
    /// A job without a stored request (a build that kept none) gets one that holds only the cancel.
    /// </summary>
    public Task StoreCancelAsync(string id, JobCancel cancel) => writer.WriteAsync(ctx =>
    {
        ctx.Execute(
            """
            INSERT INTO job_requests (job_id, request, attempts)
            SELECT $id, $q, 0 FROM jobs WHERE id = $id AND state = 'running'
            ON CONFLICT(job_id) DO UPDATE SET request = json_set(request, '$.cancel', json($c)) WHERE json_extract(request, '$.cancel') IS NULL
            """,
            ("$id", id), ("$q", JsonSerializer.Serialize(new JobRequest(cancel.Actor) { Cancel = cancel }, Json)), ("$c", JsonSerializer.Serialize(cancel, Json)));
    });

    /// <summary>
    /// Records, in the transaction that registers it, the version fit job <paramref name="jobId"/> registered (<see cref="FitJobRequest.Registered"/>)
    /// and the hash of the case set it was fitted on (<see cref="FitJobRequest.CaseSetHash"/>: a run again after a stop fits on the set as stored then).
    /// </summary>
    public static void MarkRegistered(WriteContext ctx, string jobId, string version, string caseSetHash) =>
        ctx.Execute("UPDATE job_requests SET request = json_set(request, '$.fit.registered', $v, '$.fit.caseSetHash', $h) WHERE job_id = $id AND json_type(request, '$.fit') = 'object'",
            ("$id", jobId), ("$v", version), ("$h", caseSetHash));

    /// <summary>Counts a run of the job that began (durably).</summary>
    public Task BeginsAsync(string jobId) => writer.WriteAsync(ctx =>
    {
        ctx.Execute("UPDATE job_requests SET attempts = attempts + 1 WHERE job_id = $id", ("$id", jobId));
    });

    /// <summary>
    /// The versions of <paramref name="agentId"/> named by fit jobs stored as running (a job's subject is <c>agent@version on case set</c>):
    /// running on a server on this directory, or stopped with it and resumed (or ended) at its next start. No row of its own to
    /// release: a job's row ends on every path, so nothing held outlives the job.
    /// </summary>
    public static IReadOnlyList<string> RunningFitVersions(SqliteDatabase database, string agentId)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT subject FROM jobs WHERE kind = 'fit' AND state = 'running' AND substr(subject, 1, length($a) + 1) = $a || '@'";
        cmd.Parameters.AddWithValue("$a", agentId);
        var versions = new List<string>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var subject = r.GetString(0)[(agentId.Length + 1)..];
            versions.Add(subject.IndexOf(' ', StringComparison.Ordinal) is var space and >= 0 ? subject[..space] : subject);
        }
        return versions;
    }

    /// <summary>Whether a fit job stored as running names <paramref name="agentId"/>@<paramref name="version"/>, read in the writer's transaction.</summary>
    public static bool FitRunning(WriteContext ctx, string agentId, string version)
    {
        var cmd = ctx.Command("SELECT 1 FROM jobs WHERE kind = 'fit' AND state = 'running' AND substr(subject, 1, length($s)) = $s", "$s");
        cmd.Parameters["$s"].Value = $"{agentId}@{version} ";
        return cmd.ExecuteScalar() is not null;
    }

    /// <summary>Whether <paramref name="agentId"/>@<paramref name="version"/> is registered (a fit that got that far).</summary>
    public bool VersionRegistered(string agentId, string version)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM agent_versions WHERE agent_id = $a AND version = $v";
        cmd.Parameters.AddWithValue("$a", agentId);
        cmd.Parameters.AddWithValue("$v", version);
        return cmd.ExecuteScalar() is not null;
    }

    /// <summary>The newest agent transition's seq (0 when none).</summary>
    public long TransitionsSeq()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT coalesce(max(seq), 0) FROM agent_transitions";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Who unregistered <paramref name="agentId"/> after the job was accepted (after <paramref name="seq"/>, else at or after <paramref name="since"/>); null if nobody did.</summary>
    public string? UnregisteredSince(string agentId, long? seq, DateTimeOffset since)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = seq is null
            ? "SELECT actor FROM agent_transitions WHERE agent_id = $a AND version IS NULL AND at >= $t ORDER BY seq LIMIT 1"
            : "SELECT actor FROM agent_transitions WHERE agent_id = $a AND version IS NULL AND seq > $s ORDER BY seq LIMIT 1";
        cmd.Parameters.AddWithValue("$a", agentId);
        cmd.Parameters.AddWithValue("$s", seq ?? 0);
        cmd.Parameters.AddWithValue("$t", since.ToUniversalTime().ToString("O"));
        return cmd.ExecuteScalar() as string;
    }
}
