using System.Text.Json;

namespace AgentCrm.Actors;

/// <summary>Reminders (durable, survive restarts, at-least-once) and timers (in memory, end with the activation).</summary>
public interface IActorScheduler
{
    /// <summary>
    /// Registers or replaces a reminder. <paramref name="period"/> null fires once. The change takes effect with the
    /// turn's state (embedded host: in its transaction; Dapr host: sent once the turn succeeded, before its state, so a state
    /// save failing after them leaves them changed); a turn
    /// that fails changes no reminder.
    /// </summary>
    Task RegisterReminderAsync(string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data = null, CancellationToken cancellationToken = default);

    Task UnregisterReminderAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Registers or replaces a timer of this activation; it fires as a turn while the actor stays active.</summary>
    void RegisterTimer(string name, TimeSpan dueTime, TimeSpan? period, JsonElement? data = null);

    void UnregisterTimer(string name);
}
