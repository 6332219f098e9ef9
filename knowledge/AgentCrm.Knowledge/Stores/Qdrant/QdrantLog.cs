using System.Net;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Knowledge.Stores.Qdrant;

internal static partial class QdrantLog
{
    [LoggerMessage(1, LogLevel.Information, "Created Qdrant collection {Collection} for {Dimension}-dimensional cosine vectors")]
    public static partial void CollectionCreated(this ILogger logger, string collection, int dimension);

    [LoggerMessage(2, LogLevel.Information, "Qdrant collection {Collection} was created concurrently by another client (409); using it")]
    public static partial void CollectionCreateRace(this ILogger logger, string collection);

    [LoggerMessage(3, LogLevel.Information, "Created Qdrant keyword index on {Field} in {Collection}")]
    public static partial void IndexCreated(this ILogger logger, string collection, string field);

    [LoggerMessage(4, LogLevel.Warning, "Qdrant {Operation} attempt {Attempt} failed ({Reason}); retrying in {DelaySeconds} s")]
    public static partial void Retrying(this ILogger logger, string operation, int attempt, string reason, double delaySeconds);

    [LoggerMessage(5, LogLevel.Debug, "Qdrant {Operation} answered {Status} in {ServerSeconds}s (server time)")]
    public static partial void Answered(this ILogger logger, string operation, HttpStatusCode status, double? serverSeconds);

    [LoggerMessage(6, LogLevel.Warning, "Qdrant health check failed")]
    public static partial void HealthCheckFailed(this ILogger logger, Exception exception);

    [LoggerMessage(7, LogLevel.Information, "Replaced document {DocumentId} in Qdrant collection {Collection} with {Count} points")]
    public static partial void DocumentReplaced(this ILogger logger, string collection, string documentId, int count);

    [LoggerMessage(8, LogLevel.Warning, "Qdrant collection {Collection} is gone ({Operation} answered 404: {ServerError}); it is created again and restored from the catalog")]
    public static partial void CollectionLost(this ILogger logger, string collection, string operation, string serverError);
}
