namespace AgentCrm.Intake;

/// <summary>
/// A replay's delivery could not reach where events go (daprd unreachable, or not answering within Dapr:RequestTimeout):
/// the message says which. The replay stops there instead of waiting on every letter in turn; the letters stay listed.
/// </summary>
public sealed class DeliveryUnavailableException : Exception
{
    public DeliveryUnavailableException()
    {
    }

    public DeliveryUnavailableException(string message)
        : base(message)
    {
    }

    public DeliveryUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
