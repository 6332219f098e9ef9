using System.Text.Json;

namespace AgentCrm.Actors;

/// <summary>Reminders (durable, survive restarts, at-least-once) and timers (in memory, end with the activation).</summary>
public interface IActorScheduler
{
    /// <summary>
    /// Registers or replaces a reminder. <paramref name="period"/> null fires once. The change takes effect with the
    /// turn's state (embedded host: in its transaction; Dapr host: saved with its state and sent once it is saved, again
    /// before the next turn if daprd refused them); a turn that fails, or whose save fails, changes no reminder.
    /// </summary>
    Task RegisterReminderAsync(string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data = null, CancellationToken cancellationToken = default);

    Task UnregisterReminderAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Registers or replaces a timer of this activation; it fires as a turn while the actor stays active.</summary>
    void RegisterTimer(string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data = null);

    void UnregisterTimer(string name);
}
