namespace AgentCrm.Knowledge.Retrieval;

/// <summary>
/// A change whose record (the host's audit append) failed, and whose undo failed too: the change is stored without its
/// record. The inner exception is the record's failure; <see cref="UndoFailure"/> why the change could not be undone.
/// </summary>
public sealed class KnowledgeChangeNotUndoneException : Exception
{
    public KnowledgeChangeNotUndoneException()
    {
    }

    public KnowledgeChangeNotUndoneException(string message)
        : base(message)
    {
    }

    public KnowledgeChangeNotUndoneException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KnowledgeChangeNotUndoneException(string documentId, Exception recordFailure, Exception undoFailure)
        : base($"Document {documentId} is stored, but its record could not be written ({recordFailure.Message}) and undoing the change failed too ({undoFailure.Message}).", recordFailure)
    {
        DocumentId = documentId;
        UndoFailure = undoFailure;
    }

    /// <summary>The document changed.</summary>
    public string DocumentId { get; } = "";

    /// <summary>Why the change could not be undone.</summary>
    public Exception? UndoFailure { get; }
}
