namespace AgentCrm.Intake;

/// <summary>
/// Where events go refused this one for good (daprd answering a publish with a 4xx other than 408 and 429: too large, not
/// allowed, no such pub/sub): sending it again cannot help, so the dispatcher records it as a dead letter at once, with
/// this message — the refusal — as its error, and moves on. Listed and replayable like any dead letter.
/// </summary>
public sealed class UndeliverableEventException : Exception
{
    public UndeliverableEventException()
    {
    }

    public UndeliverableEventException(string message)
        : base(message)
    {
    }

    public UndeliverableEventException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
