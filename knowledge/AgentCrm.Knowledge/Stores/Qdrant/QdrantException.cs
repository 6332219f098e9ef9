using System.Net;

namespace AgentCrm.Knowledge.Stores.Qdrant;

/// <summary>
/// Qdrant refused or did not finish an operation. <see cref="ServerError"/> is Qdrant's own text
/// (<c>status.error</c>, or the plain-text body of a 401/403); <see cref="UpdateStatus"/> is set when a write
/// came back 200 but only <c>acknowledged</c> or <c>wait_timeout</c>, i.e. it is not known to be applied.
/// </summary>
public sealed class QdrantException(
    string message,
    HttpStatusCode? statusCode = null,
    string? serverError = null,
    string? updateStatus = null,
    Exception? innerException = null) : Exception(message, innerException)
{
    public HttpStatusCode? StatusCode { get; } = statusCode;

    public string? ServerError { get; } = serverError;

    public string? UpdateStatus { get; } = updateStatus;
}
