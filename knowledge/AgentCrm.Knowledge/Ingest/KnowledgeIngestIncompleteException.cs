namespace AgentCrm.Knowledge.Ingest;

/// <summary>
/// A multi-file ingest whose input was sound stopped halfway because storing failed (disk, Qdrant): the message
/// says which documents were stored before the failure. Ingesting the same files again finishes the job, since
/// stored documents come back unchanged.
/// </summary>
public sealed class KnowledgeIngestIncompleteException : Exception
{
    public KnowledgeIngestIncompleteException()
    {
    }

    public KnowledgeIngestIncompleteException(string message)
        : base(message)
    {
    }

    public KnowledgeIngestIncompleteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// <paramref name="file"/> failed: storing it (<paramref name="recordFailed"/> false), or writing its record, the change then
    /// undone (true); an <paramref name="innerException"/> that is <see cref="Retrieval.KnowledgeChangeNotUndoneException"/>:
    /// its record failed and so did the undo, and <paramref name="stored"/> ends with it.
    /// </summary>
    public KnowledgeIngestIncompleteException(string file, IReadOnlyList<string> stored, int total, Exception innerException, bool recordFailed = false)
        : base(Describe(file, stored, total, innerException, recordFailed), innerException)
    {
        Stored = stored;
    }

    private static string Describe(string file, IReadOnlyList<string> stored, int total, Exception failure, bool recordFailed)
    {
        var storedBefore = $"{stored.Count} of {total} documents were stored" + (stored.Count > 0 ? $" ({string.Join(", ", stored)})" : "");
        return failure switch
        {
            Retrieval.KnowledgeChangeNotUndoneException notUndone =>
                $"{file}: its audit record could not be written ({notUndone.InnerException?.Message}) and undoing the change failed too ({notUndone.UndoFailure?.Message}): "
                + $"document '{stored[^1]}' IS stored, without its record, which the server or the next ingest appends once the audit log can be written; "
                + $"{storedBefore}; the rest was not ingested.",
            _ when recordFailed =>
                $"{file}: its audit record could not be written ({failure.Message}), so its change was undone; "
                + $"{storedBefore} and recorded before it; the rest was not ingested. Run the same ingest again once the audit log can be written: stored documents come back unchanged.",
            _ => $"{file}: storing failed ({failure.Message}) after {storedBefore}"
                + "; the rest was not ingested. Run the same ingest again to finish: stored documents come back unchanged.",
        };
    }

    /// <summary>The ids stored before the failure.</summary>
    public IReadOnlyList<string> Stored { get; } = [];
}
