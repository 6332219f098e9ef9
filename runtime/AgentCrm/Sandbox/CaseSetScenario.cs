using AgentCrm.Agents;
using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox;

/// <summary>
/// Which case sets an agent kind can be fitted or evaluated on: a set whose labels belong to another scenario
/// (a mapping's <c>scenario</c>) would fit a model to the wrong question, or gate a version on it. A built-in kind
/// that ships a version serves that version's scenario; rules and plugin kinds (the manifest author's scenario)
/// and sets without a declared scenario (timelines, reviewers' verdicts) are not checked.
/// </summary>
public static class CaseSetScenario
{
    /// <summary>Why <paramref name="set"/> cannot serve an agent of <paramref name="kind"/>; null when it can.</summary>
    public static string? Mismatch(string kind, CaseSet set) =>
        set.Scenario is { } scenario && ScenarioOf(kind) is { } expected && scenario != expected
            ? $"Case set '{set.Name}' holds {scenario} cases; a {kind} agent is fitted and evaluated on {expected} cases only."
            : null;

    /// <summary>Throws <see cref="CaseSetScenarioException"/> when <paramref name="set"/> cannot serve an agent of <paramref name="kind"/>.</summary>
    public static void Ensure(string kind, CaseSet set)
    {
        if (Mismatch(kind, set) is { } mismatch)
            throw new CaseSetScenarioException(mismatch);
    }

    private static string? ScenarioOf(string kind) => BuiltInKinds.All.FirstOrDefault(k => k.Name == kind)?.BuiltIn?.Scenario;
}

/// <summary>A case set asked for an agent of a kind whose scenario it does not hold (see <see cref="CaseSetScenario"/>).</summary>
public sealed class CaseSetScenarioException(string message) : Exception(message);
