namespace AgentCrm.Agents;

/// <summary>What a lifecycle change does to one agent version.</summary>
public enum LifecycleAction
{
    Evaluate,
    Shadow,
    Promote,
    Suspend,
    Rollback,
    Retire,
}

/// <summary>
/// The one table of allowed lifecycle transitions: per action, the states a version may be in and the
/// state it moves to. The registry checks every change against it before writing anything, so a
/// refused action changes nothing.
/// </summary>
public static class AgentTransitions
{
    private static readonly Dictionary<LifecycleAction, (AgentState To, AgentState[] From)> Table = new()
    {
        // A sandbox report marks a registered version; versions further along keep their state.
        [LifecycleAction.Evaluate] = (AgentState.Evaluated, [AgentState.Registered]),
        // Shadow is for a version that delivers nothing: an active one would go dark, a retired one is done.
        [LifecycleAction.Shadow] = (AgentState.Shadow, [AgentState.Registered, AgentState.Evaluated, AgentState.Suspended]),
        // Active → active changes a canary's share; suspended → active resumes a suspended version (through the gate).
        [LifecycleAction.Promote] = (AgentState.Active, [AgentState.Registered, AgentState.Evaluated, AgentState.Shadow, AgentState.Suspended, AgentState.Active]),
        [LifecycleAction.Suspend] = (AgentState.Suspended, [AgentState.Active]),
        // Only a rollback (or a suspension's hand-over to the version before) brings a retired version back.
        [LifecycleAction.Rollback] = (AgentState.Active, [AgentState.Retired]),
        [LifecycleAction.Retire] = (AgentState.Retired, [AgentState.Registered, AgentState.Evaluated, AgentState.Shadow, AgentState.Active, AgentState.Suspended]),
    };

    public static AgentState Target(LifecycleAction action) => Table[action].To;

    public static bool Allows(LifecycleAction action, AgentState from) => Table[action].From.Contains(from);

    /// <summary>Throws <see cref="AgentConflictException"/> saying why, when <paramref name="action"/> may not start from the version's state.</summary>
    public static void Ensure(LifecycleAction action, AgentVersionRecord record)
    {
        if (Allows(action, record.State))
            return;
        var from = Table[action].From.Select(AgentRegistry.Name).ToList();
        var allowed = from.Count == 1 ? from[0] : $"{string.Join(", ", from[..^1])} or {from[^1]}";
        var why = record.State switch
        {
            AgentState.Active => " It delivers briefs now; to take it out of service, promote another version or roll back.",
            AgentState.Retired => " Retired is final except for a rollback to it; register a new version to run this one again.",
            _ => "",
        };
        throw new AgentConflictException(
            $"{record.AgentId}@{record.Version} is {AgentRegistry.Name(record.State)}: {Verb(action)} needs a version that is {allowed}.{why} Nothing was changed.");
    }

    private static string Verb(LifecycleAction action) => action.ToString().ToLowerInvariant();
}
