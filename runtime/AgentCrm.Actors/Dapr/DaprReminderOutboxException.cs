namespace AgentCrm.Dapr;

/// <summary>
/// A turn's state (with its reminder calls) was saved, but daprd did not take the reminder calls: the call fails so its
/// sender retries, and the calls are sent again, from state, before the actor's next turn.
/// </summary>
public sealed class DaprReminderOutboxException : Exception
{
    public DaprReminderOutboxException()
    {
    }

    public DaprReminderOutboxException(string message)
        : base(message)
    {
    }

    public DaprReminderOutboxException(Exception innerException)
        : base("The turn's state was saved, but daprd did not take its reminder changes; they are sent again before the actor's next turn.", innerException)
    {
    }

    public DaprReminderOutboxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
