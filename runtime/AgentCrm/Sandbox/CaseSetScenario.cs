using AgentCrm.Agents;
using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox;

/// <summary>
/// Which case sets an agent can be fitted or evaluated on: a set whose labels belong to another scenario (a mapping's
/// <c>scenario</c>) would fit a model to the wrong question, or gate a version on it. A version serves the scenario its
/// manifest states, whatever its kind (a rules agent for expansion-opportunity gated on renewal-risk labels failed with
/// precision 0); a built-in kind that ships a version also serves that version's scenario, which is all a fit (no
/// manifest yet) can check. Sets without a declared scenario (timelines, reviewers' verdicts) are not checked.
/// </summary>
public static class CaseSetScenario
{
    /// <summary>Why <paramref name="set"/> cannot serve an agent of <paramref name="kind"/>; null when it can.</summary>
    public static string? Mismatch(string kind, CaseSet set) =>
        set.Scenario is { } scenario && ScenarioOf(kind) is { } expected && scenario != expected
            ? $"Case set '{set.Name}' holds {scenario} cases; a {kind} agent is fitted and evaluated on {expected} cases only."
            : null;

    /// <summary>Why <paramref name="set"/> cannot serve the version whose manifest is <paramref name="agent"/>; null when it can.</summary>
    public static string? Mismatch(AgentManifest agent, CaseSet set) =>
        set.Scenario is { } scenario && agent.Scenario is { Length: > 0 } stated && scenario != stated
            ? $"Case set '{set.Name}' holds {scenario} cases; {agent.Id}@{agent.Version} states the scenario {stated}, so it is evaluated on {stated} cases only "
              + "(or on a set that states no scenario, such as a timeline with its labels)."
            : Mismatch(agent.Kind, set);

    /// <summary>Throws <see cref="CaseSetScenarioException"/> when <paramref name="set"/> cannot serve an agent of <paramref name="kind"/>.</summary>
    public static void Ensure(string kind, CaseSet set)
    {
        if (Mismatch(kind, set) is { } mismatch)
            throw new CaseSetScenarioException(mismatch);
    }

    /// <summary>Throws <see cref="CaseSetScenarioException"/> when <paramref name="set"/> cannot serve the version of <paramref name="agent"/>.</summary>
    public static void Ensure(AgentManifest agent, CaseSet set)
    {
        if (Mismatch(agent, set) is { } mismatch)
            throw new CaseSetScenarioException(mismatch);
    }

    private static string? ScenarioOf(string kind) => BuiltInKinds.All.FirstOrDefault(k => k.Name == kind)?.BuiltIn?.Scenario;
}

/// <summary>A case set asked for an agent of a kind whose scenario it does not hold (see <see cref="CaseSetScenario"/>).</summary>
public sealed class CaseSetScenarioException(string message) : Exception(message);
