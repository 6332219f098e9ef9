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

    public KnowledgeIngestIncompleteException(string file, IReadOnlyList<string> stored, int total, Exception innerException)
        : base($"{file}: storing failed ({innerException.Message}) after {stored.Count} of {total} documents were stored"
            + (stored.Count > 0 ? $" ({string.Join(", ", stored)})" : "")
            + "; the rest was not ingested. Run the same ingest again to finish: stored documents come back unchanged.", innerException)
    {
        Stored = stored;
    }

    /// <summary>The ids stored before the failure.</summary>
    public IReadOnlyList<string> Stored { get; } = [];
}
