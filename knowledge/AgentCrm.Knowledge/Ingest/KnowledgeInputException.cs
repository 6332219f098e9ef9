namespace AgentCrm.Knowledge.Ingest;

/// <summary>The input cannot be ingested (empty, binary, too large, unknown type); nothing was stored.</summary>
public sealed class KnowledgeInputException : Exception
{
    public KnowledgeInputException()
    {
    }

    public KnowledgeInputException(string message)
        : base(message)
    {
    }

    public KnowledgeInputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
