using System.Collections.Concurrent;
using AgentCrm.Agents;
using AgentCrm.Audit;
using AgentCrm.Storage;

namespace AgentCrm.Sandbox;

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

    /// <summary>How often running jobs are checked for an unregister of their agent.</summary>
    public static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    public const string Cancelled = "cancelled";

    /// <summary>The job states; a job in the table as running that this server does not run shows as interrupted.</summary>
    public static readonly IReadOnlyList<string> States = ["running", "succeeded", "failed", "interrupted", Cancelled];

    public static readonly IReadOnlyList<string> Kinds = ["evaluate", "fit"];

    private readonly JobTable _table = new(database, writer, audit);
    private readonly ConcurrentDictionary<string, JobStatus> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JobControl> _controls = new(StringComparer.Ordinal);

    /// <summary>Jobs that ended but whose end could not be stored (a full disk): shown as ended, stored again every <see cref="StorageRetryInterval"/>.</summary>
    private readonly ConcurrentDictionary<string, UnsavedEnd> _unsaved = new(StringComparer.Ordinal);
    private readonly Lock _watchLock = new();
    private ITimer? _watch;
    private ITimer? _retry;
    private int _watching;
    private int _retrying;

    /// <summary>How often the end of a job that could not be stored for want of storage is stored again.</summary>
    public static readonly TimeSpan StorageRetryInterval = TimeSpan.FromSeconds(5);

    public Task<JobStatus> StartEvaluateAsync(string agentId, string version, string caseSet, string actor) =>
        StartAsync("evaluate", $"{agentId}@{version} on {caseSet}", new JobRequest(actor) { Evaluate = new(agentId, version, caseSet) },
            control => EvaluateWork(agentId, version, caseSet, actor, control));

    /// <summary>
    /// A fit as a job: its subject names the new version, reserved since <see cref="AgentFitter.Prepare"/> and held by the job's row once
    /// it is stored (so a fit in any process on the directory picks another), the reservation released then, stored or not; done, the
    /// report on the held-out part, and the subject names the version registered (another, when the one chosen was taken meanwhile).
    /// </summary>
    public async Task<JobStatus> StartFitAsync(PreparedFit fit, string actor)
    {
        var r = fit.Request;
        // A fit given a spans file (the CLI's) is not resumable: the file is not kept.
        var request = r.Spans is null
            ? new JobRequest(actor) { Fit = new(r.Kind, r.CaseSet, fit.Options.Version!, fit.Base.Version, r.Seed, r.Categories, r.CrossValidate) { VersionChosen = fit.VersionChosen, CaseSetHash = fit.Set.Hash } }
            : null;
        try
        {
            return await StartAsync("fit", $"{fit.Agent} on {fit.Set.Name}", request, control => FitWork(fit, actor, control), fit.TransitionsSeq);
        }
        finally
        {
            fitter.Release(fit);
        }
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
        var stopped = _table.ReadRunning();
        foreach (var (job, stored) in stopped.Select(s => (s.Job with { Attempt = Math.Max(1, s.Begun) }, s)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (request, begun) = (JobTable.ReadRequest(stored.Request), stored.Begun);
            var now = time.GetUtcNow();
            try
            {
                if (_table.UnregisteredSince(AgentOf(job.Subject), request?.TransitionsSeq, job.CreatedAt) is { } by)
                {
                    LogNotResumed(job.Id, UnregisteredReason(by));
                    await _table.SaveAsync(job with { State = Cancelled, Stage = null, UpdatedAt = now, Error = UnregisteredReason(by) }, cancelledBy: by);
                    continue;
                }
                // A fit that registered its version has only its held-out evaluation left: it is not stopped by a cancel, nor fitted again.
                // A fit an earlier build accepted records neither that version nor its case set's hash: one whose version is stored runs
                // to its end (fitted again, its registration finds the version by its content), as it did then.
                var registered = request?.Fit is { Registered.Length: > 0 } ? request.Fit
                    : request?.Fit is { Registered: null, CaseSetHash: null, Version.Length: > 0 } earlier && _table.VersionRegistered(AgentOf(job.Subject), earlier.Version)
                        ? earlier with { Registered = earlier.Version }
                        : null;
                if (request?.Cancel is { } asked && registered is null)
                {
                    LogNotResumed(job.Id, asked.Reason);
                    await _table.SaveAsync(job with { State = Cancelled, Stage = null, UpdatedAt = now, Error = asked.Reason }, cancelledBy: asked.Actor);
                    continue;
                }
                if (ResumeWork(stored.Request, request, AgentOf(job.Subject), out var reason) is not { } work)
                {
                    LogNotResumed(job.Id, reason);
                    await _table.SaveAsync(job with { State = "interrupted", UpdatedAt = now, Error = reason });
                    continue;
                }
                if (begun >= MaxAttempts)
                {
                    reason = $"The server stopped while this job ran, {begun} times; it is not resumed again. " + (registered is null ? "Start it anew."
                        : $"{AgentOf(job.Subject)}@{registered.Registered} was registered without its report: evaluate it on the part the fit held out " +
                          $"({EvaluateHeldOut(AgentOf(job.Subject), registered.Registered!, HeldOutName(registered))}), as a promotion needs its report.");
                    LogNotResumed(job.Id, reason);
                    await _table.SaveAsync(job with { State = "interrupted", UpdatedAt = now, Attempt = begun, Error = reason });
                    continue;
                }
                var resumed = job with { Done = 0, Total = 0, UpdatedAt = now, Attempt = begun + 1, Stage = JobProgress.Queued };
                LogResumed(job.Id, job.Subject, resumed.Attempt);
                _running[job.Id] = resumed;
                await _table.SaveAsync(resumed);
                var control = new JobControl(job.Id, AgentOf(job.Subject), request?.TransitionsSeq, job.CreatedAt);
                Run(resumed, work(control), control);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogJobFailed(ex, job.Id);
                _running.TryRemove(job.Id, out _);
                await _table.SaveAsync(job with { State = "failed", UpdatedAt = now, Error = $"Not resumed after the server stopped: {ex.Message}" });
            }
        }
    }

    /// <summary>
    /// The work a stored request describes (a fit is prepared again, holding its version; a fit that registered its version only
    /// evaluates it on the part it held out), or null with the reason it cannot run.
    /// </summary>
    private Func<JobControl, JobWork>? ResumeWork(string? stored, JobRequest? request, string agentId, out string reason)
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
            if (f.Registered is { Length: > 0 })
                return _ => HeldOutWork(agentId, f, request.Actor);
            var fit = fitter.Prepare(new FitRequest(f.Kind, f.CaseSet)
            {
                Version = f.Version,
                BaseVersion = f.BaseVersion,
                Seed = f.Seed,
                Categories = f.Categories ?? [],
                CrossValidate = f.CrossValidate,
            }, resuming: true);
            // The unregister that refuses its registration is one after the fit was first accepted (older requests: after now).
            fit = fit with { TransitionsSeq = request.TransitionsSeq ?? fit.TransitionsSeq, VersionChosen = f.VersionChosen };
            return control => FitWork(fit, request.Actor, control);
        }
        return null;
    }

    /// <summary>
    /// A job's work: given the report id to store under, its progress and a callback to call once the work really begins (a fit may
    /// wait for another first); done, its cases, report and, when it changed, its subject (a fit registered under another version).
    /// </summary>
    private delegate Task<(int Cases, string ReportId, string? Subject)> JobWork(string reportId, IProgress<JobProgress> progress, Func<Task> begins);

    private JobWork EvaluateWork(string agentId, string version, string caseSet, string actor, JobControl control) =>
        async (reportId, progress, begins) =>
        {
            await begins();
            progress.Report(new(JobProgress.Loading, 0, 0));
            var set = await caseSets.LoadAsync(caseSet, control.Token) ?? throw new CaseSetNotFoundException(caseSet);
            try
            {
                var (report, id) = await evaluator.EvaluateAsync(agentId, version, set, actor,
                    JobProgress.Of(progress, JobProgress.Evaluating), control.Token, reportId, unlessUnregisteredAfter: control.TransitionsSeq);
                return (report.Cases, id, null);
            }
            catch (AgentConflictException) when (_table.UnregisteredSince(control.AgentId, control.TransitionsSeq, control.CreatedAt) is { } by)
            {
                // The report was refused: the agent was unregistered after the job was accepted, before the watcher saw it.
                control.Request(UnregisteredReason(by), by);
                throw;
            }
        };

    /// <summary>
    /// What a fit that registered its version (<see cref="FitJobRequest.Registered"/>) has left after a stop: that version's evaluation
    /// on the part the fit held out — the same cases, report id and evaluated transition, not stopped by a cancel (the version would be
    /// left without its report) — unless the case set is gone or holds other content now: its held-out part is then not the fit's.
    /// </summary>
    private JobWork HeldOutWork(string agentId, FitJobRequest fit, string actor) =>
        async (reportId, progress, begins) =>
        {
            await begins();
            progress.Report(new(JobProgress.Loading, 0, 0));
            var version = fit.Registered!;
            var set = await caseSets.LoadAsync(HeldOutName(fit));
            if (set is null || (fit.CaseSetHash is { } hash && !set.Hash.StartsWith(hash + ":", StringComparison.Ordinal)))
                throw new InvalidOperationException($"{agentId}@{version} was registered without its report: case set '{fit.CaseSet}' " +
                    $"{(set is null ? "is no longer registered" : "holds other content than the fit was given")}, so the part the fit held out is gone. " +
                    "Evaluate the version on another case set, or fit again; a promotion needs its report.");
            var (report, id) = await evaluator.EvaluateAsync(agentId, version, set, actor, JobProgress.Of(progress, JobProgress.Evaluating), CancellationToken.None, reportId);
            return (report.Cases, id, $"{agentId}@{version} on {fit.CaseSet}");
        };

    /// <summary>The case set of the part a fit held out, by which its report names it.</summary>
    private static string HeldOutName(FitJobRequest fit) => Splits.HoldOutCases.NameOf(fit.CaseSet, fit.Seed);

    /// <summary>The request that evaluates a version on a case set, as a message tells an operator to send it.</summary>
    private static string EvaluateHeldOut(string agentId, string version, string caseSet) =>
        $"POST /v1/agents/{agentId}/versions/{version}/evaluate with caseSet {caseSet}";

    private JobWork FitWork(PreparedFit fit, string actor, JobControl control) =>
        async (reportId, progress, begins) =>
        {
            // The version this run registered, once its registration's transaction ran (the chosen one, or the next free one).
            string? registered = null;
            try
            {
                var outcome = await fitter.FitAsync(fit, actor, reportId, begins, progress, control.Token, (ctx, version) =>
                {
                    JobTable.MarkRegistered(ctx, control.JobId, version, fit.Set.Hash);
                    registered = version;
                });
                return (outcome.Report.Cases, outcome.ReportId, outcome.Taken is null ? null : $"{outcome.Agent} on {fit.Set.Name}");
            }
            catch (AgentConflictException) when (_table.UnregisteredSince(control.AgentId, control.TransitionsSeq, control.CreatedAt) is { } by)
            {
                // The registry refused the version: the agent was unregistered after the fit was accepted, before the watcher saw it.
                control.Request(UnregisteredReason(by), by);
                throw;
            }
            catch (Exception ex) when (SqliteWriter.IsStorageFailure(ex) && registered is { } version && _table.VersionRegistered(fit.Base.Id, version))
            {
                // The disk filled between the registration and the report: the version stays (versions are immutable), without its report.
                throw new RunPartlyStoredException(
                    $"{fit.Base.Id}@{version} was registered, but its report was not stored: once there is room, evaluate it on the part the fit held out " +
                    $"({EvaluateHeldOut(fit.Base.Id, version, Splits.HoldOutCases.NameOf(fit.Set.Name, fit.Options.Seed))}), as a promotion needs its report", ex);
            }
        };

    /// <summary>Stores and runs a new job; <paramref name="transitionsSeq"/>: the newest agent transition when its work was accepted (now when null).</summary>
    private async Task<JobStatus> StartAsync(string kind, string subject, JobRequest? request, Func<JobControl, JobWork> work, long? transitionsSeq = null)
    {
        var now = time.GetUtcNow();
        var job = new JobStatus("job_" + Guid.NewGuid().ToString("N")[..20], kind, subject, "running", 0, 0, null, null, now, now) { Stage = JobProgress.Queued };
        var seq = transitionsSeq ?? _table.TransitionsSeq();
        var control = new JobControl(job.Id, AgentOf(subject), seq, now);
        _running[job.Id] = job;
        try
        {
            await _table.SaveAsync(job, request is null ? null : request with { TransitionsSeq = seq });
        }
        catch
        {
            // Not accepted (a full disk: 503): nothing runs, and nothing is shown as running.
            _running.TryRemove(job.Id, out _);
            throw;
        }
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
                var (cases, reportId, subject) = await work(ReportStore.IdFor(job.Id), progress, () => _table.BeginsAsync(job.Id));
                var current = _running.GetValueOrDefault(job.Id, job);
                final = current with
                {
                    Subject = subject ?? current.Subject, State = "succeeded", Stage = null, Done = cases, Total = cases, ReportId = reportId, Error = null, UpdatedAt = time.GetUtcNow(),
                };
            }
            catch (Exception) when (control.Cancel is { } cancel)
            {
                LogCancelled(job.Id, job.Subject, cancel.Reason);
                final = _running.GetValueOrDefault(job.Id, job) with { State = Cancelled, Stage = null, ReportId = null, Error = cancel.Reason, UpdatedAt = time.GetUtcNow() };
            }
            catch (Exception ex)
            {
                LogJobFailed(ex, job.Id);
                final = _running.GetValueOrDefault(job.Id, job) with { State = "failed", Stage = null, Error = JobFailures.Describe(ex), UpdatedAt = time.GetUtcNow() };
            }
            // A failed run drops, in the transaction that stores its end, what it stored under its report id (a report whose version
            // could not be marked evaluated): a job that failed leaves no report.
            var end = new UnsavedEnd(final, final.State == Cancelled ? control.Cancel?.Actor : null, DropReport: final.State == "failed");
            try
            {
                await _table.SaveAsync(end.Job, cancelledBy: end.CancelledBy, dropReport: end.DropReport);
            }
            catch (Exception ex) when (SqliteWriter.IsStorageFailure(ex))
            {
                // Not stored (a full disk): shown as it ended from now on, and stored once there is room again. If the server stops
                // first, the table still holds it running: the next start takes it up again (runs it, or ends it cancelled).
                LogEndNotStored(job.Id, final.State, StorageRetryInterval.TotalSeconds, ex.Message);
                _unsaved[job.Id] = end;
                EnsureRetrying();
            }
            catch (Exception ex)
            {
                // Not stored for another reason: the table keeps it running, so the next start runs it again, or ends it cancelled
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
    /// first, or was being cancelled by another actor first), <see cref="CancelOutcome.NotFound"/>. The cancel is stored with the job's request before the job is told
    /// (<see cref="JobRequest.Cancel"/>): whatever happens to this server before the job has stopped, it is not run again.
    /// </summary>
    public async Task<(CancelOutcome Outcome, JobStatus? Job)> CancelAsync(string id, string reason, string actor, TimeSpan wait)
    {
        if (!_controls.TryGetValue(id, out var control))
            return Get(id) is { } job ? (CancelOutcome.Ended, job) : (CancelOutcome.NotFound, null);
        // The first cancel holds. Another racing it (another key's, or an unregister's) is not stored and is answered as for a job
        // that ended so (409 naming who), not as its own: it used to get 200 while only the first was recorded and audited.
        var first = control.TryClaim(reason, actor);
        if (first)
        {
            try
            {
                await _table.StoreCancelAsync(id, new JobCancel(actor, reason, time.GetUtcNow()));
            }
            finally
            {
                // Claimed is cancelled: even if the cancel could not be stored, the job stops (and the watcher, which skips
                // claimed jobs, is not left waiting on one that runs on).
                control.Request(reason, actor);
                MarkCancelling(id);
            }
        }
        if (await Task.WhenAny(control.Ended.Task, Task.Delay(wait, time)) != control.Ended.Task)
            return first ? (CancelOutcome.Stopping, Get(id)) : (CancelOutcome.Ended, Get(id) is { } stopping ? stopping with { Error = control.Cancel?.Reason } : null);
        var ended = await control.Ended.Task;
        // Still running: its end could not be stored; the stored cancel ends it on the next start.
        if (ended.State == "running")
            return (CancelOutcome.Stopping, Get(id));
        return (first && ended.State == Cancelled ? CancelOutcome.Cancelled : CancelOutcome.Ended, Get(id) ?? ended);
    }

    private void MarkCancelling(string id)
    {
        while (_running.TryGetValue(id, out var current) && current.Stage != JobProgress.Cancelling
               && !_running.TryUpdate(id, current with { Stage = JobProgress.Cancelling, UpdatedAt = time.GetUtcNow() }, current))
        {
        }
    }

    /// <summary>Stores the ends that could not be stored, every <see cref="StorageRetryInterval"/>, until each is.</summary>
    private void EnsureRetrying()
    {
        lock (_watchLock)
        {
            if (_retry is not null)
                return;
            // Not under the first failed job's trace: the retries log their own lines.
            using (ExecutionContext.SuppressFlow())
                _retry = time.CreateTimer(_ => _ = StoreUnsavedAsync(), null, StorageRetryInterval, StorageRetryInterval);
        }
    }

    private async Task StoreUnsavedAsync()
    {
        if (_unsaved.IsEmpty || Interlocked.Exchange(ref _retrying, 1) == 1)
            return;
        try
        {
            foreach (var (id, end) in _unsaved)
            {
                await _table.SaveAsync(end.Job, cancelledBy: end.CancelledBy, dropReport: end.DropReport);
                _unsaved.TryRemove(id, out _);
                LogEndStored(id, end.Job.State);
            }
        }
        catch (Exception)
        {
            // Still no room (or the store is stopping): the next interval tries again; the first failure was logged.
        }
        finally
        {
            Volatile.Write(ref _retrying, 0);
        }
    }

    /// <summary>A job as it ended whose end is not stored yet, with a word saying so (a succeeded job's needs none).</summary>
    private static JobStatus Shown(UnsavedEnd end) => end.Job.State == "succeeded" ? end.Job : end.Job with
    {
        Error = $"{end.Job.Error} (This end is not stored yet: it is once the disk has room again; if the server stops before, its next start takes the job up again.)",
    };

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
                if (!control.IsRequested && _table.UnregisteredSince(control.AgentId, control.TransitionsSeq, control.CreatedAt) is { } by)
                {
                    control.Request(UnregisteredReason(by), by);
                    MarkCancelling(id);
                }
        }
        catch (Exception ex)
        {
            // A timer callback: whatever it throws (a cancellation callback of the job's token included) would end the
            // process. The next tick looks again.
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

    /// <summary>What a user reads of a failure: the message, without .NET's parameter-name suffix.</summary>
    internal static string Readable(Exception ex) =>
        ex is ArgumentException { ParamName: { } name } ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;

    public JobStatus? Get(string id)
    {
        if (_running.TryGetValue(id, out var live))
            return live;
        if (_unsaved.TryGetValue(id, out var ended))
            return Shown(ended);
        // Running in the table but not here: the server stopped while it ran and it was not (or not yet) resumed.
        var job = _table.Find(id);
        return job is { State: "running" } ? job with { State = "interrupted" } : job;
    }

    /// <summary>
    /// Jobs newest first, filtered by state, kind and agent (each optional), <paramref name="take"/> after the position
    /// <paramref name="after"/> (created at, id) of the previous page's last; with the position of this page's last when more follow.
    /// </summary>
    public (IReadOnlyList<JobStatus> Items, (string CreatedAt, string Id)? Next) List(string? state, string? kind, string? agent, int take, (string CreatedAt, string Id)? after)
    {
        // As Get: a job the table holds as running that this server does not run shows (and filters) as interrupted, one whose
        // end is not stored yet as it ended.
        var live = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in _controls.Keys.Concat(_running.Keys))
            live[id] = "running";
        foreach (var (id, end) in _unsaved)
            live[id] = end.Job.State;
        var (items, next) = _table.List(state, kind, agent, take, after, live);
        return (items.Select(job => _running.TryGetValue(job.Id, out var running) && job.State == "running" ? running
            : _unsaved.TryGetValue(job.Id, out var ended) ? Shown(ended) : job).ToList(), next);
    }

    public void Dispose()
    {
        _watch?.Dispose();
        _retry?.Dispose();
    }

    /// <summary>A job's end as it is to be stored: with who cancelled it (audited), and whether it drops what it stored under its report id.</summary>
    private sealed record UnsavedEnd(JobStatus Job, string? CancelledBy, bool DropReport);


    [LoggerMessage(Level = LogLevel.Error, Message = "Sandbox job {JobId} failed")]
    private partial void LogJobFailed(Exception ex, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandbox job {JobId} ({Subject}) was running when the server stopped: resumed from the start (attempt {Attempt})")]
    private partial void LogResumed(string jobId, string subject, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandbox job {JobId} was running when the server stopped and is not resumed: {Reason}")]
    private partial void LogNotResumed(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox job {JobId} ({Subject}) cancelled: {Reason}")]
    private partial void LogCancelled(string jobId, string subject, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandbox job {JobId} ended {State}, but its end could not be stored for want of storage ({Reason}); shown as ended, stored again every {Interval} s")]
    private partial void LogEndNotStored(string jobId, string state, double interval, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox job {JobId}: its end ({State}) is stored now that storage is back")]
    private partial void LogEndStored(string jobId, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check running sandbox jobs for an unregister of their agent")]
    private partial void LogWatchFailed(Exception ex);
}

