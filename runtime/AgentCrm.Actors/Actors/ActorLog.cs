using Microsoft.Extensions.Logging;

namespace AgentCrm.Actors;

internal static partial class ActorLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Activation of {Actor} failed; its queued messages were failed")]
    public static partial void ActivationFailed(ILogger logger, Exception ex, ActorId actor);

    [LoggerMessage(Level = LogLevel.Error, Message = "Deactivation of {Actor} failed")]
    public static partial void DeactivationFailed(ILogger logger, Exception ex, ActorId actor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Turn {Turn} of {Actor} failed; its state changes were discarded")]
    public static partial void TurnFailed(ILogger logger, Exception ex, ActorId actor, string turn);

    [LoggerMessage(Level = LogLevel.Error, Message = "An action {Actor} queued for after its turn's save failed; the turn is saved")]
    public static partial void SavedActionFailed(ILogger logger, Exception ex, ActorId actor);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The mailbox loop of {Actor} failed")]
    public static partial void MailboxLoopFailed(ILogger logger, Exception ex, ActorId actor);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deactivating {Count} idle actors")]
    public static partial void DeactivatingIdle(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deactivating {Count} least recently active actors: more than Actors:MaxActivations ({Max}) were active")]
    public static partial void DeactivatingOverCap(ILogger logger, int count, int max);

    [LoggerMessage(Level = LogLevel.Information, Message = "Actor host drained: every actor deactivated")]
    public static partial void Drained(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Actor host drain timed out after {TimeoutSeconds} s with {Count} activations left; their turns were cancelled")]
    public static partial void DrainTimedOut(ILogger logger, double timeoutSeconds, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Actor host drain cut short by the host's stop timeout (HostOptions.ShutdownTimeout; what stopped before the actors used it) with {Count} activations left; their turns were cancelled")]
    public static partial void DrainCutShort(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading due reminders failed; retrying at the next poll")]
    public static partial void ReminderPollFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A stored reminder targets actor type {Type}, which is not registered; it stays until the type comes back")]
    public static partial void ReminderTypeUnknown(ILogger logger, string type);
}
