using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentCrm.Agents;
using AgentCrm.Audit;
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

    /// <summary>
    /// The newest agent transition when the job was accepted: an unregister of its agent after it (a higher <c>seq</c>) cancels
    /// the job. Absent in requests stored by earlier builds (then an unregister at or after the job's creation does).
    /// </summary>
    public long? TransitionsSeq { get; init; }

    /// <summary>
    /// A cancel asked while the job ran (<see cref="SandboxJobs.CancelAsync"/>), stored before it is answered: a job the server
    /// stopped before storing its end (or whose end could not be stored) is not run again but ends cancelled on the next start.
    /// </summary>
    public JobCancel? Cancel { get; init; }
}

public sealed record JobCancel(string Actor, string Reason, DateTimeOffset At);

public sealed record EvaluateJobRequest(string AgentId, string Version, string CaseSet);

/// <summary>A fit as accepted: the version it holds and the version whose parameters it starts from are fixed at acceptance.</summary>
public sealed record FitJobRequest(string Kind, string CaseSet, string Version, string BaseVersion, int Seed, IReadOnlyList<string> Categories, bool CrossValidate);

/// <summary>What a cancel did: <see cref="Cancelled"/> (the job ended cancelled), <see cref="Stopping"/> (still stopping after the wait),
/// <see cref="Ended"/> (it had ended, or ended otherwise before the cancel reached it), <see cref="NotFound"/>.</summary>
public enum CancelOutcome
{
    Cancelled,
    Stopping,
    Ended,
    NotFound,
}

/// <summary>
/// Sandbox runs as background jobs: 202 with a job id, progress while running, the report id when done.
/// Jobs and what they run are kept in SQLite. A job that was running when the server stopped (a restart, a crash)
/// runs again from the start on the next start, under the same id (evaluations and fits are deterministic, and its
/// report id is derived from the job id, so a report written just before the stop is not written twice), at most
/// <see cref="MaxAttempts"/> times in all; after that, or without a stored request, it shows as interrupted.
/// A job can be cancelled (<see cref="CancelAsync"/>): it stops at its next case or fitting step, ends <c>cancelled</c> with the
/// reason, writes no report and registers no version, and is never resumed (the cancel is stored before it is answered, so a
/// stop before the job has ended does not resume it either). Unregistering its agent cancels it too: the
/// unregister is noticed in the database (<see cref="WatchInterval"/>), so the CLI's is as well as the server's.
/// </summary>
public sealed partial class SandboxJobs(Evaluator evaluator, AgentFitter fitter, CaseSetStore caseSets, SqliteDatabase database, SqliteWriter writer, AuditLog audit,
    TimeProvider time, ILogger<SandboxJobs> logger) : IDisposable
{
    /// <summary>Runs of one job at most (the first and the resumptions): a job that itself brings the server down is not resumed forever.</summary>
    public const int MaxAttempts = 3;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>How often running jobs are checked for an unregister of their agent.</summary>
    public static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    public const string Cancelled = "cancelled";

    /// <summary>The job states; a job in the table as running that this server does not run shows as interrupted.</summary>
    public static readonly IReadOnlyList<string> States = ["running", "succeeded", "failed", "interrupted", Cancelled];

    public static readonly IReadOnlyList<string> Kinds = ["evaluate", "fit"];

    private readonly ConcurrentDictionary<string, JobStatus> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JobControl> _controls = new(StringComparer.Ordinal);
    private readonly Lock _watchLock = new();
    private ITimer? _watch;
    private int _watching;

    public Task<JobStatus> StartEvaluateAsync(string agentId, string version, string caseSet, string actor) =>
        StartAsync("evaluate", $"{agentId}@{version} on {caseSet}", new JobRequest(actor) { Evaluate = new(agentId, version, caseSet) },
            control => EvaluateWork(agentId, version, caseSet, actor, control));

    /// <summary>A fit as a job: its subject names the new version (held since <see cref="AgentFitter.Prepare"/>); done, the report on the held-out part.</summary>
    public Task<JobStatus> StartFitAsync(PreparedFit fit, string actor)
    {
        var r = fit.Request;
        // A fit given a spans file (the CLI's) is not resumable: the file is not kept.
        var request = r.Spans is null
            ? new JobRequest(actor) { Fit = new(r.Kind, r.CaseSet, fit.Options.Version!, fit.Base.Version, r.Seed, r.Categories, r.CrossValidate) }
            : null;
        return StartAsync("fit", $"{fit.Agent} on {fit.Set.Name}", request, control => FitWork(fit, actor, control), fit.TransitionsSeq);
    }

    /// <summary>
    /// Runs again every job the server was running when it stopped (called once at start, after the registry and the
    /// case sets are loaded, before the server listens). A job that cannot be run any more (its version or case set was
    /// removed meanwhile, its stored request is unreadable) ends failed or interrupted with the reason, one whose agent was
    /// unregistered since it was accepted or that was asked to cancel (<see cref="JobRequest.Cancel"/>) ends cancelled — but a
    /// fit that had registered its version runs to its end, as it would have without the stop; nothing one job stored can stop
    /// the server from starting.
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
        foreach (var (job, stored) in stopped.Select(s => (s.Job with { Attempt = Math.Max(1, s.Begun) }, s)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (request, begun) = (ReadRequest(stored.Request), stored.Begun);
            var now = time.GetUtcNow();
            try
            {
                if (UnregisteredSince(AgentOf(job.Subject), request?.TransitionsSeq, job.CreatedAt) is { } by)
                {
                    LogNotResumed(job.Id, UnregisteredReason(by));
                    await SaveAsync(job with { State = Cancelled, Stage = null, UpdatedAt = now, Error = UnregisteredReason(by) }, cancelledBy: by);
                    continue;
                }
                if (request?.Cancel is { } asked && !(request.Fit is { } f && VersionRegistered(AgentOf(job.Subject), f.Version)))
                {
                    LogNotResumed(job.Id, asked.Reason);
                    await SaveAsync(job with { State = Cancelled, Stage = null, UpdatedAt = now, Error = asked.Reason }, cancelledBy: asked.Actor);
                    continue;
                }
                if (ResumeWork(stored.Request, request, out var reason) is not { } work)
                {
                    LogNotResumed(job.Id, reason);
                    await SaveAsync(job with { State = "interrupted", UpdatedAt = now, Error = reason });
                    continue;
                }
                if (begun >= MaxAttempts)
                {
                    reason = $"The server stopped while this job ran, {begun} times; it is not resumed again. Start it anew.";
                    LogNotResumed(job.Id, reason);
                    await SaveAsync(job with { State = "interrupted", UpdatedAt = now, Attempt = begun, Error = reason });
                    continue;
                }
                var resumed = job with { Done = 0, Total = 0, UpdatedAt = now, Attempt = begun + 1, Stage = JobProgress.Queued };
                LogResumed(job.Id, job.Subject, resumed.Attempt);
                _running[job.Id] = resumed;
                await SaveAsync(resumed);
                var control = new JobControl(AgentOf(job.Subject), request?.TransitionsSeq, job.CreatedAt);
                Run(resumed, work(control), control);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogJobFailed(ex, job.Id);
                _running.TryRemove(job.Id, out _);
                await SaveAsync(job with { State = "failed", UpdatedAt = now, Error = $"Not resumed after the server stopped: {ex.Message}" });
            }
        }
    }

    private static JobRequest? ReadRequest(string? stored)
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

    /// <summary>The work a stored request describes (a fit is prepared again, holding its version), or null with the reason it cannot run.</summary>
    private Func<JobControl, JobWork>? ResumeWork(string? stored, JobRequest? request, out string reason)
    {
        reason = "The server stopped while this job ran, and it was accepted by a build that did not keep what jobs run. Start it anew.";
        if (stored is null)
            return null;
        reason = "The server stopped while this job ran, and what it ran could not be read back. Start it anew.";
        if (request is null || string.IsNullOrEmpty(request.Actor))
            return null;
        if (request.Evaluate is { AgentId.Length: > 0, Version.Length: > 0, CaseSet.Length: > 0 } e)
            return control => EvaluateWork(e.AgentId, e.Version, e.CaseSet, request.Actor, control);
        if (request.Fit is { Kind.Length: > 0, CaseSet.Length: > 0, Version.Length: > 0, BaseVersion.Length: > 0 } f)
        {
            var fit = fitter.Prepare(new FitRequest(f.Kind, f.CaseSet)
            {
                Version = f.Version,
                BaseVersion = f.BaseVersion,
                Seed = f.Seed,
                Categories = f.Categories ?? [],
                CrossValidate = f.CrossValidate,
            }, resuming: true);
            // The unregister that refuses its registration is one after the fit was first accepted (older requests: after now).
            fit = fit with { TransitionsSeq = request.TransitionsSeq ?? fit.TransitionsSeq };
            return control => FitWork(fit, request.Actor, control);
        }
        return null;
    }

    /// <summary>A job's work: given the report id to store under, its progress and a callback to call once the work really begins (a fit may wait for another first).</summary>
    private delegate Task<(int Cases, string ReportId)> JobWork(string reportId, IProgress<JobProgress> progress, Func<Task> begins);

    private JobWork EvaluateWork(string agentId, string version, string caseSet, string actor, JobControl control) =>
        async (reportId, progress, begins) =>
        {
            await begins();
            progress.Report(new(JobProgress.Loading, 0, 0));
            var set = await caseSets.LoadAsync(caseSet, control.Token) ?? throw new CaseSetNotFoundException(caseSet);
            var (report, id) = await evaluator.EvaluateAsync(agentId, version, set, actor,
                JobProgress.Of(progress, JobProgress.Evaluating), control.Token, reportId);
            return (report.Cases, id);
        };

    private JobWork FitWork(PreparedFit fit, string actor, JobControl control) =>
        async (reportId, progress, begins) =>
        {
            try
            {
                var outcome = await fitter.FitAsync(fit, actor, reportId, begins, progress, control.Token);
                return (outcome.Report.Cases, outcome.ReportId);
            }
            catch (AgentConflictException) when (UnregisteredSince(control.AgentId, control.TransitionsSeq, control.CreatedAt) is { } by)
            {
                // The registry refused the version: the agent was unregistered after the fit was accepted, before the watcher saw it.
                control.Request(UnregisteredReason(by), by);
                throw;
            }
        };

    /// <summary>Stores and runs a new job; <paramref name="transitionsSeq"/>: the newest agent transition when its work was accepted (now when null).</summary>
    private async Task<JobStatus> StartAsync(string kind, string subject, JobRequest? request, Func<JobControl, JobWork> work, long? transitionsSeq = null)
    {
        var now = time.GetUtcNow();
        var job = new JobStatus("job_" + Guid.NewGuid().ToString("N")[..20], kind, subject, "running", 0, 0, null, null, now, now) { Stage = JobProgress.Queued };
        var seq = transitionsSeq ?? TransitionsSeq();
        var control = new JobControl(AgentOf(subject), seq, now);
        _running[job.Id] = job;
        await SaveAsync(job, request is null ? null : request with { TransitionsSeq = seq });
        Run(job, work(control), control);
        return job;
    }

    /// <summary>
    /// Runs the work in the background; its report id is derived from the job id, so a run again after a stop writes the
    /// same report once. When the work begins, the job's count of begun runs goes up (durably): the limit on resumptions
    /// counts runs that began, not starts of the server a queued job waited through. Cancelled, it ends cancelled unless the
    /// work had finished first (then it succeeded, with its report).
    /// </summary>
    private void Run(JobStatus job, JobWork work, JobControl control)
    {
        _controls[job.Id] = control;
        EnsureWatching();
        _ = Task.Run(async () =>
        {
            var final = job;
            try
            {
                // Synchronous progress: System.Progress posts late callbacks to the pool, which could outlive the job.
                var progress = new SyncProgress<JobProgress>(p =>
                {
                    // Parallel replay workers may report out of order: within a stage, progress only moves forward. Once a
                    // cancel is asked the stage stays `cancelling`.
                    while (!control.IsRequested && _running.TryGetValue(job.Id, out var current)
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
                final = _running.GetValueOrDefault(job.Id, job) with { State = "succeeded", Stage = null, Done = cases, Total = cases, ReportId = reportId, Error = null, UpdatedAt = time.GetUtcNow() };
            }
            catch (Exception) when (control.Cancel is { } cancel)
            {
                LogCancelled(job.Id, job.Subject, cancel.Reason);
                final = _running.GetValueOrDefault(job.Id, job) with { State = Cancelled, Stage = null, ReportId = null, Error = cancel.Reason, UpdatedAt = time.GetUtcNow() };
            }
            catch (Exception ex)
            {
                LogJobFailed(ex, job.Id);
                final = _running.GetValueOrDefault(job.Id, job) with { State = "failed", Stage = null, Error = Readable(ex), UpdatedAt = time.GetUtcNow() };
            }
            try
            {
                await SaveAsync(final, cancelledBy: final.State == Cancelled ? control.Cancel?.Actor : null);
            }
            catch (Exception ex)
            {
                // Not stored (e.g. a full disk): the table keeps it running, so the next start runs it again, or ends it cancelled
                // (its agent unregistered, or a cancel stored by CancelAsync).
                LogJobFailed(ex, job.Id);
                final = job;
            }
            finally
            {
                _running.TryRemove(job.Id, out _);
                _controls.TryRemove(job.Id, out _);
                control.Ended.TrySetResult(final);
                caseSets.ReturnMemory();
            }
        });
    }

    /// <summary>
    /// Cancels a running job on behalf of <paramref name="actor"/> and waits up to <paramref name="wait"/> for it to stop:
    /// <see cref="CancelOutcome.Cancelled"/> with the job as it ended, <see cref="CancelOutcome.Stopping"/> with it still
    /// stopping (stage <c>cancelling</c>), <see cref="CancelOutcome.Ended"/> with a job that had ended (or ended otherwise
    /// first), <see cref="CancelOutcome.NotFound"/>. The cancel is stored with the job's request before the job is told
    /// (<see cref="JobRequest.Cancel"/>): whatever happens to this server before the job has stopped, it is not run again.
    /// </summary>
    public async Task<(CancelOutcome Outcome, JobStatus? Job)> CancelAsync(string id, string reason, string actor, TimeSpan wait)
    {
        if (!_controls.TryGetValue(id, out var control))
            return Get(id) is { } job ? (CancelOutcome.Ended, job) : (CancelOutcome.NotFound, null);
        await StoreCancelAsync(id, new JobCancel(actor, reason, time.GetUtcNow()));
        control.Request(reason, actor);
        MarkCancelling(id);
        if (await Task.WhenAny(control.Ended.Task, Task.Delay(wait, time)) != control.Ended.Task)
            return (CancelOutcome.Stopping, Get(id));
        var ended = await control.Ended.Task;
        // Still running: its end could not be stored; the stored cancel ends it on the next start.
        if (ended.State == "running")
            return (CancelOutcome.Stopping, Get(id));
        return (ended.State == Cancelled ? CancelOutcome.Cancelled : CancelOutcome.Ended, Get(id) ?? ended);
    }

    /// <summary>
    /// Stores a cancel with a job still running in the table (a job stored as ended is left as it is); the first stored wins.
    /// A job without a stored request (a build that kept none) gets one that holds only the cancel.
    /// </summary>
    private Task StoreCancelAsync(string id, JobCancel cancel) => writer.WriteAsync(ctx =>
    {
        ctx.Execute(
            """
            INSERT INTO job_requests (job_id, request, attempts)
            SELECT $id, $q, 0 FROM jobs WHERE id = $id AND state = 'running'
            ON CONFLICT(job_id) DO UPDATE SET request = json_set(request, '$.cancel', json($c)) WHERE json_extract(request, '$.cancel') IS NULL
            """,
            ("$id", id), ("$q", JsonSerializer.Serialize(new JobRequest(cancel.Actor) { Cancel = cancel }, Json)), ("$c", JsonSerializer.Serialize(cancel, Json)));
    });

    /// <summary>Whether <paramref name="agentId"/>@<paramref name="version"/> is registered (a fit that got that far).</summary>
    private bool VersionRegistered(string agentId, string version)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM agent_versions WHERE agent_id = $a AND version = $v";
        cmd.Parameters.AddWithValue("$a", agentId);
        cmd.Parameters.AddWithValue("$v", version);
        return cmd.ExecuteScalar() is not null;
    }

    private void MarkCancelling(string id)
    {
        while (_running.TryGetValue(id, out var current) && current.Stage != JobProgress.Cancelling
               && !_running.TryUpdate(id, current with { Stage = JobProgress.Cancelling, UpdatedAt = time.GetUtcNow() }, current))
        {
        }
    }

    /// <summary>Checks the running jobs for an unregister of their agent, every <see cref="WatchInterval"/> while any runs.</summary>
    private void EnsureWatching()
    {
        lock (_watchLock)
            _watch ??= time.CreateTimer(_ => Watch(), null, WatchInterval, WatchInterval);
    }

    private void Watch()
    {
        if (_controls.IsEmpty || Interlocked.Exchange(ref _watching, 1) == 1)
            return;
        try
        {
            foreach (var (id, control) in _controls)
                if (!control.IsRequested && UnregisteredSince(control.AgentId, control.TransitionsSeq, control.CreatedAt) is { } by)
                {
                    control.Request(UnregisteredReason(by), by);
                    MarkCancelling(id);
                }
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            LogWatchFailed(ex);
        }
        finally
        {
            Volatile.Write(ref _watching, 0);
        }
    }

    private static string UnregisteredReason(string actor) => $"agent unregistered by {actor}";

    /// <summary>The agent a job runs or fits: its subject is <c>agent@version on case set</c>.</summary>
    private static string AgentOf(string subject) => subject.IndexOf('@', StringComparison.Ordinal) is var at and > 0 ? subject[..at] : subject;

    /// <summary>The newest agent transition's seq (0 when none).</summary>
    private long TransitionsSeq()
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT coalesce(max(seq), 0) FROM agent_transitions";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Who unregistered <paramref name="agentId"/> after the job was accepted (after <paramref name="seq"/>, else at or after <paramref name="since"/>); null if nobody did.</summary>
    private string? UnregisteredSince(string agentId, long? seq, DateTimeOffset since)
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

    /// <summary>
    /// Jobs newest first, filtered by state, kind and agent (each optional), <paramref name="take"/> after the position
    /// <paramref name="after"/> (created at, id) of the previous page's last; with the position of this page's last when more follow.
    /// </summary>
    public (IReadOnlyList<JobStatus> Items, (string CreatedAt, string Id)? Next) List(string? state, string? kind, string? agent, int take, (string CreatedAt, string Id)? after)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        // As Get: a job the table holds as running that this server does not run shows (and filters) as interrupted.
        cmd.CommandText = $"""
            SELECT * FROM (SELECT j.id, j.kind, j.subject,
                CASE WHEN j.state = 'running' AND j.id NOT IN (SELECT value FROM json_each($live)) THEN 'interrupted' ELSE j.state END AS state,
                j.done, j.total, j.report_id, j.error, j.created_at, j.updated_at, r.request, r.attempts
              FROM jobs j LEFT JOIN job_requests r ON r.job_id = j.id) j
            WHERE ($state IS NULL OR j.state = $state) AND ($kind IS NULL OR j.kind = $kind)
              AND ($agent IS NULL OR substr(j.subject, 1, length($agent) + 1) = $agent || '@')
              AND ($c IS NULL OR j.created_at < $c OR (j.created_at = $c AND j.id < $i))
            ORDER BY j.created_at DESC, j.id DESC LIMIT $take
            """;
        cmd.Parameters.AddWithValue("$live", JsonSerializer.Serialize(_controls.Keys.Concat(_running.Keys).Distinct()));
        cmd.Parameters.AddWithValue("$state", (object?)state ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$kind", (object?)kind ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$agent", (object?)agent ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$c", (object?)after?.CreatedAt ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$i", (object?)after?.Id ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$take", take + 1);
        var items = new List<(JobStatus Job, string CreatedAt)>();
        using (var r = cmd.ExecuteReader())
            while (r.Read())
            {
                var job = Read(r);
                items.Add((job.State == "running" && _running.TryGetValue(job.Id, out var live) ? live : job, r.GetString(8)));
            }
        var more = items.Count > take;
        if (more)
            items.RemoveAt(items.Count - 1);
        return (items.Select(i => i.Job).ToList(), more ? (items[^1].CreatedAt, items[^1].Job.Id) : null);
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

    /// <summary>
    /// Saves the job's status; with <paramref name="request"/> (a new job) its request too, in the same transaction (no run begun
    /// yet). A job ending cancelled (<paramref name="cancelledBy"/>) drops in that transaction what its run may have stored under
    /// its report id (an evaluation cancelled between writing its report and marking the version), and is audited.
    /// </summary>
    private Task SaveAsync(JobStatus j, JobRequest? request = null, string? cancelledBy = null) => writer.WriteAsync(ctx =>
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
        if (cancelledBy is not null)
        {
            ctx.Execute("DELETE FROM sandbox_reports WHERE id = $r", ("$r", ReportStore.IdFor(j.Id)));
            audit.Append(ctx, cancelledBy, "job.cancelled", $"job:{j.Id}",
                new Dictionary<string, object?> { ["kind"] = j.Kind, ["subject"] = j.Subject, ["reason"] = j.Error, ["done"] = j.Done, ["total"] = j.Total }, j.UpdatedAt);
        }
    });

    public void Dispose() => _watch?.Dispose();

    /// <summary>A running job's cancellation: the first cancel's reason and actor win; <see cref="Ended"/> completes with the job as stored at its end.</summary>
    private sealed class JobControl(string agentId, long? transitionsSeq, DateTimeOffset createdAt)
    {
        private readonly CancellationTokenSource _cts = new();
        private (string Reason, string Actor)? _cancel;

        public string AgentId { get; } = agentId;

        public long? TransitionsSeq { get; } = transitionsSeq;

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public CancellationToken Token => _cts.Token;

        public TaskCompletionSource<JobStatus> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public (string Reason, string Actor)? Cancel
        {
            get
            {
                lock (_cts)
                    return _cancel;
            }
        }

        public bool IsRequested => Cancel is not null;

        public void Request(string reason, string actor)
        {
            lock (_cts)
                _cancel ??= (reason, actor);
            _cts.Cancel();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Sandbox job {JobId} failed")]
    private partial void LogJobFailed(Exception ex, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandbox job {JobId} ({Subject}) was running when the server stopped: resumed from the start (attempt {Attempt})")]
    private partial void LogResumed(string jobId, string subject, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandbox job {JobId} was running when the server stopped and is not resumed: {Reason}")]
    private partial void LogNotResumed(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox job {JobId} ({Subject}) cancelled: {Reason}")]
    private partial void LogCancelled(string jobId, string subject, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check running sandbox jobs for an unregister of their agent")]
    private partial void LogWatchFailed(Exception ex);
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, in order, and never after the work is done.</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
