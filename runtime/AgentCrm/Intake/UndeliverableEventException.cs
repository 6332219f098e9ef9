namespace AgentCrm.Intake;

/// <summary>
/// Where events go refused this one for good (daprd answering a publish with 400 — but for a pub/sub it does not know or that
/// is not configured, or metadata it cannot read — 413 for a body too large, 415 or 422): sending it again cannot help, so the dispatcher records it as a dead letter at once, with
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
