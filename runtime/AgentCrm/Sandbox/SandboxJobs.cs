using System.Collections.Concurrent;
using AgentCrm.Storage;

namespace AgentCrm.Sandbox;

public sealed record JobStatus(string Id, string Kind, string Subject, string State, int Done, int Total, string? ReportId, string? Error, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// Sandbox runs as background jobs: 202 with a job id, progress while running, the report id when done.
/// Finished jobs are kept in SQLite; a job that was running when the server stopped shows as interrupted.
/// </summary>
public sealed partial class SandboxJobs(Evaluator evaluator, AgentFitter fitter, SqliteDatabase database, SqliteWriter writer, TimeProvider time, ILogger<SandboxJobs> logger)
{
    private readonly ConcurrentDictionary<string, JobStatus> _running = new(StringComparer.Ordinal);

    public Task<JobStatus> StartEvaluateAsync(string agentId, string version, string caseSet, string actor) =>
        StartAsync("evaluate", $"{agentId}@{version} on {caseSet}", async progress =>
        {
            var (report, reportId) = await evaluator.EvaluateAsync(agentId, version, caseSet, actor, progress);
            return (report.Cases, reportId);
        });

    /// <summary>A fit as a job: its subject names the new version (held since <see cref="AgentFitter.Prepare"/>); done, the report on the held-out part.</summary>
    public Task<JobStatus> StartFitAsync(PreparedFit fit, string actor) =>
        StartAsync("fit", $"{fit.Agent} on {fit.Set.Name}", async _ =>
        {
            var outcome = await fitter.FitAsync(fit, actor);
            return (outcome.Report.Cases, outcome.ReportId);
        });

    private async Task<JobStatus> StartAsync(string kind, string subject, Func<IProgress<(int Done, int Total)>, Task<(int Cases, string ReportId)>> work)
    {
        var now = time.GetUtcNow();
        var job = new JobStatus("job_" + Guid.NewGuid().ToString("N")[..20], kind, subject, "running", 0, 0, null, null, now, now);
        _running[job.Id] = job;
        await SaveAsync(job);
        _ = Task.Run(async () =>
        {
            JobStatus final;
            try
            {
                // Synchronous progress: System.Progress posts late callbacks to the pool, which could outlive the job.
                var progress = new SyncProgress<(int Done, int Total)>(p =>
                {
                    if (_running.TryGetValue(job.Id, out var current))
                        _running.TryUpdate(job.Id, current with { Done = p.Done, Total = p.Total, UpdatedAt = time.GetUtcNow() }, current);
                });
                var (cases, reportId) = await work(progress);
                final = _running.GetValueOrDefault(job.Id, job) with { State = "succeeded", Done = cases, Total = cases, ReportId = reportId, UpdatedAt = time.GetUtcNow() };
            }
            catch (Exception ex)
            {
                LogJobFailed(ex, job.Id);
                final = _running.GetValueOrDefault(job.Id, job) with { State = "failed", Error = ex.Message, UpdatedAt = time.GetUtcNow() };
            }
            await SaveAsync(final);
            _running[job.Id] = final;
            _running.TryRemove(job.Id, out _);
        });
        return job;
    }

    public JobStatus? Get(string id)
    {
        if (_running.TryGetValue(id, out var live))
            return live;
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT id, kind, subject, state, done, total, report_id, error, created_at, updated_at FROM jobs WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        if (!r.Read())
            return null;
        var state = r.GetString(3);
        return new JobStatus(r.GetString(0), r.GetString(1), r.GetString(2), state == "running" ? "interrupted" : state, r.GetInt32(4), r.GetInt32(5),
            r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7),
            DateTimeOffset.Parse(r.GetString(8), System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse(r.GetString(9), System.Globalization.CultureInfo.InvariantCulture));
    }

    private Task SaveAsync(JobStatus j) => writer.WriteAsync(ctx => ctx.Execute(
        """
        INSERT INTO jobs (id, kind, subject, state, done, total, report_id, error, created_at, updated_at) VALUES ($id, $k, $s, $st, $d, $t, $r, $e, $c, $u)
        ON CONFLICT(id) DO UPDATE SET state = excluded.state, done = excluded.done, total = excluded.total, report_id = excluded.report_id, error = excluded.error, updated_at = excluded.updated_at
        """,
        ("$id", j.Id), ("$k", j.Kind), ("$s", j.Subject), ("$st", j.State), ("$d", j.Done), ("$t", j.Total), ("$r", j.ReportId), ("$e", j.Error),
        ("$c", j.CreatedAt.ToString("O")), ("$u", j.UpdatedAt.ToString("O"))));

    [LoggerMessage(Level = LogLevel.Error, Message = "Sandbox job {JobId} failed")]
    private partial void LogJobFailed(Exception ex, string jobId);
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, in order, and never after the work is done.</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
