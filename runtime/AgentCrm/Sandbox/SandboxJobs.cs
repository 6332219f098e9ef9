using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentCrm.Storage;

namespace AgentCrm.Sandbox;

public sealed record JobStatus(string Id, string Kind, string Subject, string State, int Done, int Total, string? ReportId, string? Error, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>1 for the first run; one more each time the job was resumed after the server stopped while it ran.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>While running, what it does (<see cref="JobProgress"/>); <see cref="Done"/> and <see cref="Total"/> count that stage's steps. Absent once ended.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Stage { get; init; }
}

/// <summary>What a job runs, stored with it so that a job the server was running when it stopped resumes on the next start.</summary>
public sealed record JobRequest(string Actor)
{
    public EvaluateJobRequest? Evaluate { get; init; }

    public FitJobRequest? Fit { get; init; }
}

public sealed record EvaluateJobRequest(string AgentId, string Version, string CaseSet);

/// <summary>A fit as accepted: the version it holds and the version whose parameters it starts from are fixed at acceptance.</summary>
public sealed record FitJobRequest(string Kind, string CaseSet, string Version, string BaseVersion, int Seed, IReadOnlyList<string> Categories, bool CrossValidate);

/// <summary>
/// Sandbox runs as background jobs: 202 with a job id, progress while running, the report id when done.
/// Jobs and what they run are kept in SQLite. A job that was running when the server stopped (a restart, a crash)
/// runs again from the start on the next start, under the same id (evaluations and fits are deterministic, and its
/// report id is derived from the job id, so a report written just before the stop is not written twice), at most
/// <see cref="MaxAttempts"/> times in all; after that, or without a stored request, it shows as interrupted.
/// </summary>
public sealed partial class SandboxJobs(Evaluator evaluator, AgentFitter fitter, SqliteDatabase database, SqliteWriter writer, TimeProvider time, ILogger<SandboxJobs> logger)
{
    /// <summary>Runs of one job at most (the first and the resumptions): a job that itself brings the server down is not resumed forever.</summary>
    public const int MaxAttempts = 3;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ConcurrentDictionary<string, JobStatus> _running = new(StringComparer.Ordinal);

    public Task<JobStatus> StartEvaluateAsync(string agentId, string version, string caseSet, string actor) =>
        StartAsync("evaluate", $"{agentId}@{version} on {caseSet}", new JobRequest(actor) { Evaluate = new(agentId, version, caseSet) }, EvaluateWork(agentId, version, caseSet, actor));

    /// <summary>A fit as a job: its subject names the new version (held since <see cref="AgentFitter.Prepare"/>); done, the report on the held-out part.</summary>
    public Task<JobStatus> StartFitAsync(PreparedFit fit, string actor)
    {
        var r = fit.Request;
        // A fit given a spans file (the CLI's) is not resumable: the file is not kept.
        var request = r.Spans is null
            ? new JobRequest(actor) { Fit = new(r.Kind, r.CaseSet, fit.Options.Version!, fit.Base.Version, r.Seed, r.Categories, r.CrossValidate) }
            : null;
        return StartAsync("fit", $"{fit.Agent} on {fit.Set.Name}", request, FitWork(fit, actor));
    }

    /// <summary>
    /// Runs again every job the server was running when it stopped (called once at start, after the registry and the
    /// case sets are loaded, before the server listens). A job that cannot be run any more (its version or case set was
    /// removed meanwhile, its stored request is unreadable) ends failed or interrupted with the reason; nothing one job
    /// stored can stop the server from starting.
    /// </summary>
    public async Task ResumeAsync(CancellationToken cancellationToken = default)
    {
        var stopped = new List<(JobStatus Job, string? Request, int Begun)>();
        using (var connection = database.Open())
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = $"{SelectSql} WHERE j.state = 'running' ORDER BY j.created_at";
            using var r = cmd.ExecuteReader();
            while (r.Read())
                stopped.Add((Read(r) with { State = "running" }, r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? 0 : r.GetInt32(11)));
        }
        foreach (var (job, request, begun) in stopped)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = time.GetUtcNow();
            try
            {
                if (ResumeWork(request, out var reason) is not { } work)
                {
                    LogNotResumed(job.Id, reason);
                    await SaveAsync(job with { State = "interrupted", UpdatedAt = now, Attempt = Math.Max(1, begun), Error = reason });
                    continue;
                }
                if (begun >= MaxAttempts)
                {
                    reason = $"The server stopped while this job ran, {begun} times; it is not resumed again. Start it anew.";
                    LogNotResumed(job.Id, reason);
                    await SaveAsync(job with { State = "interrupted", UpdatedAt = now, Attempt = begun, Error = reason });
                    continue;
                }
                var resumed = job with { Done = 0, Total = 0, UpdatedAt = now, Attempt = begun + 1 };
                LogResumed(job.Id, job.Subject, resumed.Attempt);
                _running[job.Id] = resumed;
                await SaveAsync(resumed);
                Run(resumed, work);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogJobFailed(ex, job.Id);
                _running.TryRemove(job.Id, out _);
                await SaveAsync(job with { State = "failed", UpdatedAt = now, Attempt = Math.Max(1, begun), Error = $"Not resumed after the server stopped: {ex.Message}" });
            }
        }
    }

    /// <summary>The work a stored request describes (a fit is prepared again, holding its version), or null with the reason it cannot run.</summary>
    private JobWork? ResumeWork(string? stored, out string reason)
    {
        reason = "The server stopped while this job ran, and it was accepted by a build that did not keep what jobs run. Start it anew.";
        if (stored is null)
            return null;
        JobRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<JobRequest>(stored, Json);
        }
        catch (JsonException)
        {
            request = null;
        }
        reason = "The server stopped while this job ran, and what it ran could not be read back. Start it anew.";
        if (request is null || string.IsNullOrEmpty(request.Actor))
            return null;
        if (request.Evaluate is { AgentId.Length: > 0, Version.Length: > 0, CaseSet.Length: > 0 } e)
            return EvaluateWork(e.AgentId, e.Version, e.CaseSet, request.Actor);
        if (request.Fit is { Kind.Length: > 0, CaseSet.Length: > 0, Version.Length: > 0, BaseVersion.Length: > 0 } f)
            return FitWork(fitter.Prepare(new FitRequest(f.Kind, f.CaseSet)
            {
                Version = f.Version,
                BaseVersion = f.BaseVersion,
                Seed = f.Seed,
                Categories = f.Categories ?? [],
                CrossValidate = f.CrossValidate,
            }, resuming: true), request.Actor);
        return null;
    }

    /// <summary>A job's work: given the report id to store under, its progress and a callback to call once the work really begins (a fit may wait for another first).</summary>
    private delegate Task<(int Cases, string ReportId)> JobWork(string reportId, IProgress<JobProgress> progress, Func<Task> begins);

    private JobWork EvaluateWork(string agentId, string version, string caseSet, string actor) =>
        async (reportId, progress, begins) =>
        {
            await begins();
            var (report, id) = await evaluator.EvaluateAsync(agentId, version, caseSet, actor,
                JobProgress.Of(progress, JobProgress.Evaluating), reportId: reportId);
            return (report.Cases, id);
        };

    private JobWork FitWork(PreparedFit fit, string actor) =>
        async (reportId, progress, begins) =>
        {
            var outcome = await fitter.FitAsync(fit, actor, reportId, begins, progress);
            return (outcome.Report.Cases, outcome.ReportId);
        };

    private async Task<JobStatus> StartAsync(string kind, string subject, JobRequest? request, JobWork work)
    {
        var now = time.GetUtcNow();
        var job = new JobStatus("job_" + Guid.NewGuid().ToString("N")[..20], kind, subject, "running", 0, 0, null, null, now, now) { Stage = JobProgress.Queued };
        _running[job.Id] = job;
        await SaveAsync(job, request);
        Run(job, work);
        return job;
    }

    /// <summary>
    /// Runs the work in the background; its report id is derived from the job id, so a run again after a stop writes the
    /// same report once. When the work begins, the job's count of begun runs goes up (durably): the limit on resumptions
    /// counts runs that began, not starts of the server a queued job waited through.
    /// </summary>
    private void Run(JobStatus job, JobWork work) =>
        _ = Task.Run(async () =>
        {
            JobStatus final;
            try
            {
                // Synchronous progress: System.Progress posts late callbacks to the pool, which could outlive the job.
                var progress = new SyncProgress<JobProgress>(p =>
                {
                    // Parallel replay workers may report out of order: within a stage, progress only moves forward.
                    while (_running.TryGetValue(job.Id, out var current)
                           && (p.Stage != current.Stage || p.Done > current.Done || p.Total != current.Total)
                           && !_running.TryUpdate(job.Id, current with
                           {
                               Stage = p.Stage,
                               Done = p.Stage == current.Stage && p.Total == current.Total ? Math.Max(p.Done, current.Done) : p.Done,
                               Total = p.Total,
                               UpdatedAt = time.GetUtcNow(),
                           }, current))
                    {
                    }
                });
                var (cases, reportId) = await work(ReportStore.IdFor(job.Id), progress, () => BeginsAsync(job.Id));
                final = _running.GetValueOrDefault(job.Id, job) with { State = "succeeded", Stage = null, Done = cases, Total = cases, ReportId = reportId, UpdatedAt = time.GetUtcNow() };
            }
            catch (Exception ex)
            {
                LogJobFailed(ex, job.Id);
                final = _running.GetValueOrDefault(job.Id, job) with { State = "failed", Stage = null, Error = Readable(ex), UpdatedAt = time.GetUtcNow() };
            }
            await SaveAsync(final);
            _running[job.Id] = final;
            _running.TryRemove(job.Id, out _);
        });

    /// <summary>What a user reads of a failure: the message, without .NET's parameter-name suffix.</summary>
    private static string Readable(Exception ex) =>
        ex is ArgumentException { ParamName: { } name } ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;

    private Task BeginsAsync(string jobId) => writer.WriteAsync(ctx =>
    {
        ctx.Execute("UPDATE job_requests SET attempts = attempts + 1 WHERE job_id = $id", ("$id", jobId));
    });

    public JobStatus? Get(string id)
    {
        if (_running.TryGetValue(id, out var live))
            return live;
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"{SelectSql} WHERE j.id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        if (!r.Read())
            return null;
        var job = Read(r);
        // Running in the table but not here: the server stopped while it ran and it was not (or not yet) resumed.
        return job.State == "running" ? job with { State = "interrupted" } : job;
    }

    private const string SelectSql =
        "SELECT j.id, j.kind, j.subject, j.state, j.done, j.total, j.report_id, j.error, j.created_at, j.updated_at, r.request, r.attempts FROM jobs j LEFT JOIN job_requests r ON r.job_id = j.id";

    private static JobStatus Read(Microsoft.Data.Sqlite.SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5),
            r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7),
            DateTimeOffset.Parse(r.GetString(8), CultureInfo.InvariantCulture), DateTimeOffset.Parse(r.GetString(9), CultureInfo.InvariantCulture))
        {
            Attempt = r.IsDBNull(11) ? 1 : Math.Max(1, r.GetInt32(11)),
        };

    /// <summary>Saves the job's status; with <paramref name="request"/> (a new job) its request too, in the same transaction (no run begun yet).</summary>
    private Task SaveAsync(JobStatus j, JobRequest? request = null) => writer.WriteAsync(ctx =>
    {
        ctx.Execute(
            """
            INSERT INTO jobs (id, kind, subject, state, done, total, report_id, error, created_at, updated_at) VALUES ($id, $k, $s, $st, $d, $t, $r, $e, $c, $u)
            ON CONFLICT(id) DO UPDATE SET state = excluded.state, done = excluded.done, total = excluded.total, report_id = excluded.report_id, error = excluded.error, updated_at = excluded.updated_at
            """,
            ("$id", j.Id), ("$k", j.Kind), ("$s", j.Subject), ("$st", j.State), ("$d", j.Done), ("$t", j.Total), ("$r", j.ReportId), ("$e", j.Error),
            ("$c", j.CreatedAt.ToString("O")), ("$u", j.UpdatedAt.ToString("O")));
        if (request is not null)
            ctx.Execute("INSERT INTO job_requests (job_id, request, attempts) VALUES ($id, $q, 0)", ("$id", j.Id), ("$q", JsonSerializer.Serialize(request, Json)));
    });

    [LoggerMessage(Level = LogLevel.Error, Message = "Sandbox job {JobId} failed")]
    private partial void LogJobFailed(Exception ex, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandbox job {JobId} ({Subject}) was running when the server stopped: resumed from the start (attempt {Attempt})")]
    private partial void LogResumed(string jobId, string subject, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandbox job {JobId} was running when the server stopped and is not resumed (interrupted): {Reason}")]
    private partial void LogNotResumed(string jobId, string reason);
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, in order, and never after the work is done.</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
