using AgentCrm.Agents;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Gate;
using AgentCrm.Sandbox.Replay;
using AgentCrm.Sandbox.Reports;

namespace AgentCrm.Sandbox;

public sealed class CaseSetNotFoundException(string name) : Exception($"No case set '{name}' is registered (agentcrm cases list).");

/// <summary>Replays a case set through one agent version, writes the gated report, and marks the version evaluated.</summary>
public sealed class Evaluator(AgentRegistry registry, CaseSetStore caseSets, Customers.ConsentStore consent, TimeProvider time, Audit.AuditLog audit)
{
    /// <summary>
    /// The audit action of a stored sandbox report (subject <c>report:ID</c>, not the version's, whose records are its
    /// transitions): the version, its case set and whether it passed the version's gate.
    /// </summary>
    public const string ReportAction = "report.created";

    /// <summary>Evaluates on a registered case set by name; the report is stored under <c>reportId</c> (a job's, see <see cref="ReportStore.IdFor"/>), a new id when null.</summary>
    /// <remarks><paramref name="cases"/>, when given, receives every replayed case in case order once the report is stored (<c>agents evaluate --cases-out</c>).</remarks>
    public Task<(SandboxReport Report, string ReportId)> EvaluateAsync(string agentId, string version, string caseSetName, string actor, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default, string? reportId = null, Action<IReadOnlyList<Sandbox.Metrics.ScoredCase>>? cases = null, long? unlessUnregisteredAfter = null) =>
        EvaluateAsync(agentId, version, caseSets.Load(caseSetName) ?? throw new CaseSetNotFoundException(caseSetName), actor, progress, cancellationToken, reportId, cases, unlessUnregisteredAfter);

    /// <remarks>With <paramref name="unlessUnregisteredAfter"/> (<see cref="AgentRegistry.TransitionsSeq"/> when the evaluation was asked for), nothing is stored if the agent was unregistered since (<see cref="AgentConflictException"/>).</remarks>
    public async Task<(SandboxReport Report, string ReportId)> EvaluateAsync(string agentId, string version, CaseSet set, string actor, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default, string? reportId = null, Action<IReadOnlyList<Sandbox.Metrics.ScoredCase>>? cases = null, long? unlessUnregisteredAfter = null)
    {
        var record = registry.Find(agentId, version);
        CaseSetScenario.Ensure(record.Manifest, set);
        var agent = registry.CreateAgent(record);
        var total = set.Cases.Count;
        progress?.Report((0, total));
        var scored = await Task.Run(() => ReplayEngine.Replay(agent, set.Cases, new ReplayOptions
        {
            Progress = progress is null ? null : new SyncProgress<int>(done => progress.Report((done, total))),
            // The same consent gate as live: a case's customer is judged by their record or the default policy.
            Consent = consent.For,
            ConsentAt = time.GetUtcNow(),
        }, cancellationToken), cancellationToken);
        var report = SandboxReport.Build(scored, agentId, version, record.ContentHash, set.Name, set.Hash, record.Manifest.Threshold, time.GetUtcNow());
        report = GateEvaluator.Apply(report, record.Manifest.Gate, record.ContentHash) with { Warnings = ReportWarnings.For(record.Manifest, set.Cases) };
        var id = reportId ?? ReportStore.NewId();
        // The report and the version's evaluated mark in one transaction: a full disk or a kill leaves both or neither.
        // With its audit record: the gate's evidence (case set, report, pass or fail) in the log, whether or not the version's
        // state changes (agent.evaluated marks the first evaluation only, and says nothing of its outcome).
        await registry.RecordEvaluationAsync(agentId, version, actor, ctx =>
        {
            ReportStore.Insert(ctx, report, id);
            audit.Append(ctx, actor, ReportAction, $"report:{id}", new Dictionary<string, object?>
            {
                ["agentId"] = agentId,
                ["agentVersion"] = version,
                ["caseSet"] = report.CaseSet,
                ["caseSetHash"] = report.CaseSetHash,
                ["contentHash"] = report.ContentHash,
                ["cases"] = report.Cases,
                ["passed"] = report.Passed,
                ["unmet"] = report.Unmet,
            }, report.CreatedAt);
        }, unlessUnregisteredAfter);
        cases?.Invoke(scored);
        return (report, id);
    }
}
