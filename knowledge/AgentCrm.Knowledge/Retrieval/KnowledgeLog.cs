using Microsoft.Extensions.Logging;

namespace AgentCrm.Knowledge.Retrieval;

internal static partial class KnowledgeLog
{
    [LoggerMessage(101, LogLevel.Warning, "The knowledge store could not be repaired yet ({Count} document(s) marked: {DocumentIds}); the next write tries again, and searches cite only what the catalog holds meanwhile")]
    public static partial void RepairFailed(this ILogger logger, Exception exception, int count, string documentIds);

    [LoggerMessage(102, LogLevel.Information, "Repaired document {DocumentId} in the knowledge store (stored the catalog's version again: {Held}; else deleted what a failed write left)")]
    public static partial void Repaired(this ILogger logger, string documentId, bool held);

    [LoggerMessage(103, LogLevel.Warning, "Document {DocumentId} is committed, but its superseded records could not be removed from the knowledge store yet; they are never cited, and the next write removes them")]
    public static partial void PruneFailed(this ILogger logger, Exception exception, string documentId);

    [LoggerMessage(104, LogLevel.Warning, "The change to document {DocumentId} was undone: its record (the audit log) could not be written")]
    public static partial void Undone(this ILogger logger, string documentId);

    [LoggerMessage(105, LogLevel.Error, "The change to document {DocumentId} could not be undone after its record (the audit log) could not be written: it is stored without its record")]
    public static partial void UndoFailed(this ILogger logger, Exception exception, string documentId);
}
