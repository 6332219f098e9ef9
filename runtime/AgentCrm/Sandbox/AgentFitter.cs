using AgentCrm.Agents;
using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Fitting;
using AgentCrm.Sandbox.Fitting.Text;
using AgentCrm.Sandbox.Reports;
using AgentCrm.Sandbox.Splits;

namespace AgentCrm.Sandbox;

/// <summary>What to fit: a trainable kind on a registered case set; the clause options apply to compliance-check on document-level clause cases.</summary>
public sealed record FitRequest(string Kind, string CaseSet)
{
    /// <summary>The new version; null → one minor version above the agent's highest.</summary>
    public string? Version { get; init; }

    public int Seed { get; init; } = FitOptions.DefaultSeed;

    /// <summary>The version whose manifest the fit starts from; null → the kind's active version (else its built-in template).</summary>
    public string? BaseVersion { get; init; }

    public ClauseSpans? Spans { get; init; }

    public IReadOnlyList<string> Categories { get; init; } = [];

    public bool CrossValidate { get; init; }
}

/// <summary>A fit that was checked and holds its version: run it with <see cref="AgentFitter.FitAsync"/>.</summary>
public sealed record PreparedFit(FitRequest Request, CaseSet Set, AgentManifest Base, FitOptions Options, bool Clauses)
{
    public string Agent => $"{Base.Id}@{Options.Version}";

    /// <summary>The newest agent transition when the fit was accepted: if its agent is unregistered after it, the fitted version is not registered.</summary>
    public long TransitionsSeq { get; init; }

    /// <summary>
    /// The version was chosen for the fit (no version asked for): taken meanwhile by what holds none here (a CLI fit beside the
    /// server, a registration), the fit registers the next free one instead (<see cref="FitOutcome.Taken"/>).
    /// </summary>
    public bool VersionChosen { get; init; }
}

/// <summary>A fit done: <see cref="Agent"/> the version registered; <see cref="Taken"/> the one chosen first when another fit or registration took it meanwhile.</summary>
public sealed record FitOutcome(string Agent, FitResult Result, RegisterResult Registered, SandboxReport Report, string ReportId, ClauseCrossValidation? CrossValidation)
{
    public string? Taken { get; init; }
}

/// <summary>A fit refused before it starts, naming the request field at fault; <see cref="Conflict"/> when the version is taken.</summary>
public sealed class FitRequestException(string property, string message, bool conflict = false) : Exception(message)
{
    public string Property { get; } = property;

    public bool Conflict { get; } = conflict;
}

/// <summary>
/// Fits a trainable agent on a case set (the CLI's `agents fit` and `POST /v1/agents/fit` both come here): learns the
/// model on the training part, registers it as a new version, and evaluates that version on the part the fit held out,
/// so its gate report is on cases it never saw. Fits are CPU-bound: they run one at a time.
/// </summary>
public sealed class AgentFitter(AgentRegistry registry, CaseSetStore caseSets, Evaluator evaluator, Storage.SqliteDatabase database)
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly HashSet<(string Id, string Version)> _reserved = [];

    public static IReadOnlyList<string> TrainableKinds { get; } = [RenewalRiskKind.KindName, .. TextFitTargets.Kinds];

    /// <summary>
    /// Checks everything a fit can be refused for before it spends minutes, and picks its version (without one asked for: one minor
    /// above the highest taken) and reserves it in this process until <see cref="Release"/> (a job's row is stored, which holds it from
    /// then on) or <see cref="FitAsync"/> ends. Taken: every version registered, every version a fit job stored as running names (a
    /// server's on this directory, whichever process asks), every version reserved here. A CLI fit holds nothing another process sees:
    /// a fit that meets its chosen version taken when it registers moves to the next free one (<see cref="PreparedFit.VersionChosen"/>).
    /// <c>resuming</c>: a fit accepted before the server stopped, run again; its job's row holds its version, which may already be
    /// registered (by that fit; a different content is refused, or moved from, when it registers), so nothing is checked or reserved.
    /// </summary>
    public PreparedFit Prepare(FitRequest request, bool resuming = false)
    {
        // Read first: an unregister that commits at any point after this refuses the fit's registration.
        var transitionsSeq = registry.TransitionsSeq();
        if (!TrainableKinds.Contains(request.Kind, StringComparer.Ordinal))
            throw new FitRequestException("kind", $"'{request.Kind}' is not a trainable kind; trainable: {string.Join(", ", TrainableKinds)}.");
        var set = caseSets.LoadToRun(request.CaseSet, out var problem) ?? throw new FitRequestException("caseSet", problem);
        if (CaseSetScenario.Mismatch(request.Kind, set) is { } mismatch)
            throw new FitRequestException("caseSet", mismatch);
        var template = request.Kind == RenewalRiskKind.KindName ? new RenewalRiskKind().BuiltIn : TextFitTargets.For(request.Kind)!.Base;
        var baseManifest = request.BaseVersion is { } baseVersion
            ? registry.Versions(template.Id).FirstOrDefault(v => v.Version == baseVersion && v.Manifest.Kind == request.Kind)?.Manifest
              ?? (template.Version == baseVersion ? template : throw new FitRequestException("baseVersion", $"{template.Id}@{baseVersion}, the version the fit starts from, is not registered."))
            : registry.Versions(template.Id).LastOrDefault(v => v.State == AgentState.Active && v.Manifest.Kind == request.Kind)?.Manifest ?? template;
        var clauses = request.Kind == Agents.Compliance.ComplianceCheckKind.KindName && ClauseFitter.Applies(set);
        if (!clauses && (request.Spans is not null || request.Categories.Count > 0 || request.CrossValidate))
            throw new FitRequestException(request.Categories.Count > 0 ? "categories" : request.CrossValidate ? "crossValidate" : "spans", "spans, categories and cross-validation apply only to compliance-check on contract case sets (every case mapped with documents.docType contract, e.g. cuad).");
        if (clauses)
        {
            try
            {
                ClauseFitter.CheckCategories(set, request.Categories);
            }
            catch (ArgumentException ex)
            {
                throw new FitRequestException("categories", SandboxJobs.Readable(ex));
            }
        }
        // The rule a manifest registered now follows (the fitted version is registered as one); a fit resumed after a restart was
        // accepted by the build before, under its rule, and may have registered its version already.
        if (request.Version is { } wanted && (resuming ? ManifestReader.IsValidVersion(wanted) ? null : "" : ManifestNames.NewVersionFault(wanted)) is { } versionFault)
            throw new FitRequestException("version", versionFault.Length == 0 ? "version must look like 1.2.3 or 1.2.3-suffix."
                : $"version '{wanted}' is not a SemVer version: {versionFault}.");
        if (!clauses)
        {
            // Refused now, not minutes later in the job: the cross-validation needs two cases of each class per fold in the training part.
            var options = new FitOptions { Seed = request.Seed };
            var (train, _) = HoldOutCases.Split(set, options);
            var positives = train.Count(i => set.Cases[i].Label);
            var needed = options.Folds * 2;
            if (positives < needed || train.Length - positives < needed)
                throw new FitRequestException("caseSet", $"Case set '{set.Name}' has {positives} positive and {train.Length - positives} negative cases in the part a fit trains on (70%); a fit needs at least {needed} of each.");
        }
        if (resuming)
            return new PreparedFit(request, set, baseManifest, new FitOptions { Base = baseManifest, Seed = request.Seed, Version = request.Version }, clauses) { TransitionsSeq = transitionsSeq };
        lock (_reserved)
        {
            // Read under the lock: a job's row is stored before its reservation is released, so one or the other is seen.
            var running = JobTable.RunningFitVersions(database, baseManifest.Id);
            var taken = registry.Versions(baseManifest.Id).Select(v => v.Version).Concat(running)
                .Concat(_reserved.Where(r => r.Id == baseManifest.Id).Select(r => r.Version)).ToList();
            var version = request.Version ?? NextVersion(taken);
            if (taken.Contains(version, StringComparer.Ordinal))
                throw new FitRequestException("version", $"{baseManifest.Id}@{version} is already registered or being fitted; versions are immutable, choose another.", conflict: true);
            var fit = new PreparedFit(request, set, baseManifest, new FitOptions { Base = baseManifest, Seed = request.Seed, Version = version }, clauses)
            {
                TransitionsSeq = transitionsSeq,
                VersionChosen = request.Version is null,
            };
            _reserved.Add((baseManifest.Id, version));
            return fit;
        }
    }

    /// <summary>Ends this process's reservation of the fit's version (a job's stored row holds it from then on); again, or for a fit resumed, nothing.</summary>
    public void Release(PreparedFit fit)
    {
        lock (_reserved)
            _reserved.Remove((fit.Base.Id, fit.Options.Version!));
    }

    /// <summary>Whether another fit holds <paramref name="version"/>: a fit job stored as running names it, or a fit of this process reserved it.</summary>
    private bool HeldByAnotherFit(Storage.WriteContext ctx, string agentId, string version)
    {
        lock (_reserved)
            if (_reserved.Contains((agentId, version)))
                return true;
        return JobTable.FitRunning(ctx, agentId, version);
    }

    /// <summary>
    /// Fits, registers the new version and evaluates it on the held-out part (the report under <paramref name="reportId"/> when
    /// given). Fits run one at a time: <paramref name="begins"/> is called when this one's turn comes. Releases the version's
    /// reservation either way. A version chosen for the fit (<see cref="PreparedFit.VersionChosen"/>) that was taken meanwhile is
    /// moved from in the registration's transaction: the outcome names the version registered and the one taken. A version asked
    /// for and taken meanwhile fails the fit (<see cref="FitRequestException"/>, a conflict naming <c>version</c>), nothing registered.
    /// </summary>
    /// <remarks>
    /// Cancelled (<paramref name="cancellationToken"/>) while it waits or fits, it ends at once with nothing registered: the
    /// fitters take no token, so the fitting in progress stops at its next step (its progress callback throws) and the next fit's
    /// turn comes once it has. The registration is refused (<see cref="AgentConflictException"/>) if the agent was unregistered
    /// after <see cref="PreparedFit.TransitionsSeq"/>, in the registry's own transaction, so no unregister slips in between a check
    /// and the registration. From the registration on, the fit runs to its end — the version registered and evaluated — so a
    /// cancel never leaves a version without its report.
    /// </remarks>
    public async Task<FitOutcome> FitAsync(PreparedFit fit, string actor, string? reportId = null, Func<Task>? begins = null, IProgress<JobProgress>? progress = null,
        CancellationToken cancellationToken = default, Action<Storage.WriteContext, string>? onRegistered = null)
    {
        try
        {
            progress?.Report(new(JobProgress.Queued, 0, 0));
            await _oneAtATime.WaitAsync(cancellationToken);
            var turn = new Turn(_oneAtATime);
            try
            {
                if (begins is not null)
                    await begins();
                progress?.Report(new(JobProgress.Loading, 0, 0));
                var clauseOptions = new ClauseFitOptions { Categories = fit.Request.Categories };
                var options = fit.Options with { Progress = Stopping(JobProgress.Of(progress, JobProgress.Fitting), cancellationToken) };
                var result = await turn.RunAsync(() => fit.Clauses
                    ? ClauseFitter.Fit(fit.Set, options, clauseOptions, fit.Request.Spans, fit.Base)
                    : TextFitTargets.For(fit.Request.Kind, fit.Base) is { } target
                        ? TextFitter.Fit(fit.Set, options, new TextFitOptions(), target)
                        : RenewalRiskFitter.Fit(fit.Set, options), cancellationToken);
                var cv = fit.Clauses && fit.Request.CrossValidate
                    ? await turn.RunAsync(() => ClauseFitter.CrossValidate(fit.Set, fit.Options with { Progress = Stopping(JobProgress.Of(progress, JobProgress.CrossValidating), cancellationToken) },
                        clauseOptions, fit.Request.Spans), cancellationToken)
                    : null;
                cancellationToken.ThrowIfCancellationRequested();
                RegisterResult registered;
                try
                {
                    registered = await registry.RegisterAsync(result.Manifest, actor, CancellationToken.None, unlessUnregisteredAfter: fit.TransitionsSeq, submitted: false, registered: onRegistered,
                        moveIfTaken: fit.VersionChosen ? (ctx, version) => HeldByAnotherFit(ctx, fit.Base.Id, version) : null);
                }
                catch (AgentConflictException ex) when (ex.Field == "version")
                {
                    throw new FitRequestException("version", $"{fit.Agent} was registered by another fit or a registration while this fit ran; versions are immutable, so this fit " +
                        "registered nothing. Fit again choosing another version (agents fit --version, or the request's version field).", conflict: true);
                }
                var version = registered.Record.Version;
                var (report, storedId) = await evaluator.EvaluateAsync(fit.Base.Id, version, HoldOutCases.Of(fit.Set, fit.Options), actor,
                    JobProgress.Of(progress, JobProgress.Evaluating), CancellationToken.None, reportId);
                return new FitOutcome($"{fit.Base.Id}@{version}", result with { Manifest = registered.Record.Manifest }, registered, report, storedId, cv)
                {
                    Taken = version == fit.Options.Version ? null : fit.Agent,
                };
            }
            catch (ArgumentException ex) when (fit.Clauses)
            {
                // The clause fitter's refusals (e.g. a spans file that matches no contract) are about the request.
                throw new FitRequestException(ex.ParamName ?? "caseSet", SandboxJobs.Readable(ex));
            }
            finally
            {
                turn.Release();
            }
        }
        finally
        {
            Release(fit);
        }
    }

    /// <summary>A fitter's progress sink that also stops it, at its next step, once <paramref name="cancellationToken"/> is cancelled.</summary>
    private static SyncProgress<(int Done, int Total)> Stopping(IProgress<(int Done, int Total)>? sink, CancellationToken cancellationToken) =>
        new(p =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            sink?.Report(p);
        });

    /// <summary>A fit's turn: released when the fit ends, or — when it was cancelled while fitting — once the fitting stopped.</summary>
    private sealed class Turn(SemaphoreSlim oneAtATime)
    {
        private int _released;

        /// <summary>Runs CPU-bound fitting on the pool; cancelled, returns at once and hands the release to the fitting's end.</summary>
        public async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
        {
            var task = Task.Run(work, CancellationToken.None);
            try
            {
                return await task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (!task.IsCompleted && Interlocked.Exchange(ref _released, 1) == 0)
            {
                _ = task.ContinueWith(_ => oneAtATime.Release(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                throw;
            }
        }

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                oneAtATime.Release();
        }
    }

    /// <summary>One minor version above the highest of <paramref name="taken"/> (1.1.0 when none).</summary>
    private static string NextVersion(IEnumerable<string> taken)
    {
        var highest = taken
            .Select(v => System.Version.TryParse(v.Split('-')[0], out var parsed) ? parsed : new System.Version(0, 0, 0))
            .DefaultIfEmpty(new System.Version(1, 0, 0))
            .Max()!;
        return $"{highest.Major}.{highest.Minor + 1}.0";
    }
}
