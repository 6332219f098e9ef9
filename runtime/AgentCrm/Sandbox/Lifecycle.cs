using AgentCrm.Agents;
using AgentCrm.Sandbox.Gate;

namespace AgentCrm.Sandbox;

/// <summary>A promotion the gate refused, with every unmet criterion.</summary>
public sealed class GateRefusedException(string agentId, string version, IReadOnlyList<string> unmet)
    : Exception($"{agentId}@{version} cannot be promoted: {string.Join("; ", unmet)}.")
{
    public IReadOnlyList<string> Unmet { get; } = unmet;
}

/// <summary>
/// Ops' lifecycle actions with the rules that guard them: no version becomes active (not even as a
/// canary) without a passing sandbox report for its exact content hash. Shadow needs no report (it
/// delivers nothing); rollback returns to a version that was active before.
/// </summary>
public sealed class Lifecycle(AgentRegistry registry, ReportStore reports)
{
    public GateResult Check(string agentId, string version)
    {
        var record = registry.Find(agentId, version);
        var report = reports.ForGate(agentId, version, record.ContentHash);
        return GateEvaluator.Evaluate(report, record.Manifest.Gate, record.ContentHash);
    }

    public async Task<AgentVersionRecord> PromoteAsync(string agentId, string version, int canaryPercent, string actor, CancellationToken cancellationToken = default)
    {
        // Decided from the versions as stored: one another process (the CLI) registered a moment ago is found, not a 404 until
        // the next timed reload (qa42d #2).
        await registry.ReloadIfChangedAsync(cancellationToken);
        // A version that may not be promoted from its state (retired) is refused for that, whatever its report says.
        AgentTransitions.Ensure(LifecycleAction.Promote, registry.Find(agentId, version));
        var gate = Check(agentId, version);
        if (!gate.Passed)
            throw new GateRefusedException(agentId, version, gate.Unmet);
        return await registry.PromoteAsync(agentId, version, actor, cancellationToken, canaryPercent);
    }

    public Task<AgentVersionRecord> ShadowAsync(string agentId, string version, string actor, CancellationToken cancellationToken = default) =>
        registry.ShadowAsync(agentId, version, actor, cancellationToken);

    public Task<AgentVersionRecord> RollbackAsync(string agentId, string actor, CancellationToken cancellationToken = default) =>
        registry.RollbackAsync(agentId, actor, cancellationToken);
}
