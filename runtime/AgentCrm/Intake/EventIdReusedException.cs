namespace AgentCrm.Intake;

/// <summary>
/// A request reused stored event ids for other content, or for an event whose stored copy cannot be read (a dead letter until
/// repaired); <see cref="Errors"/> names each, by its path in the request.
/// </summary>
public sealed class EventIdReusedException : Exception
{
    public EventIdReusedException()
        : this(new Dictionary<string, string[]>())
    {
    }

    public EventIdReusedException(string message)
        : base(message)
    {
        Errors = new Dictionary<string, string[]>();
    }

    public EventIdReusedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = new Dictionary<string, string[]>();
    }

    public EventIdReusedException(IReadOnlyDictionary<string, string[]> errors)
        : base($"{errors.Count} event id(s) in the request were accepted before with other content (or as a stored copy that cannot be read); nothing in the request was stored.")
    {
        Errors = errors;
    }

    public IReadOnlyDictionary<string, string[]> Errors { get; }
}
