namespace AgentCrm.Actors;

/// <summary>
/// Thrown by a turn's enlisted write (<see cref="IActorStateManager.Enlist"/>) when something the turn ran on changed before
/// its save: e.g. the agent version it assessed with was rolled back meanwhile, so its brief must not be stored, and the
/// event must be assessed by the version serving now. Nothing of the turn is saved (nor counted: <see cref="IActorStateManager.OnSaved"/>); the host runs the turn again on the state
/// as saved (at most <see cref="MaxAttempts"/> times in all, then the turn fails as any other and its caller retries).
/// </summary>
public sealed class TurnConflictException(string message) : Exception(message)
{
    /// <summary>Runs of one turn, the first included, before a conflict fails it.</summary>
    public const int MaxAttempts = 8;

    /// <summary>
    /// The pause before run <paramref name="attempt"/> + 1 (about 1.2 s over all runs): what changed is usually published in
    /// memory a moment after it was stored (the registry swaps its agent set right after its commit; a change another process
    /// made, within the watcher's early reload). Real time, not the host's clock: a test's frozen
    /// clock must not hold the actor's mailbox.
    /// </summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(attempt switch { 1 => 1, 2 => 5, 3 => 20, 4 => 50, 5 => 100, 6 => 200, _ => 400 });
}
