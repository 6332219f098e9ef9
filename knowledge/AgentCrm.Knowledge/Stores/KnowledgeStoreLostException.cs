namespace AgentCrm.Knowledge.Stores;

/// <summary>
/// The store's storage went away while the service ran (Qdrant answered 404 for its collection: deleted, or Qdrant lost
/// its storage), or came back empty although the catalog holds documents. Not a failure of the request as such: the
/// service makes the store ready again (<see cref="IKnowledgeStore.EnsureReadyAsync"/>), restores what its catalog holds,
/// and runs the operation once more.
/// </summary>
public sealed class KnowledgeStoreLostException : Exception
{
    public KnowledgeStoreLostException()
    {
    }

    public KnowledgeStoreLostException(string message)
        : base(message)
    {
    }

    public KnowledgeStoreLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
