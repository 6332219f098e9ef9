namespace AgentCrm.Knowledge.Documents;

/// <summary>A document as listed by the service: its metadata, content hash and how many chunks and distilled units it has.</summary>
public sealed record KnowledgeDocument(
    string Id,
    string Title,
    string Type,
    IReadOnlyList<string> Tags,
    string? Scenario,
    string Language,
    string ContentHash,
    int Chunks,
    int DistilledUnits,
    DateTimeOffset IngestedAt);

public enum IngestStatus
{
    Created,
    Replaced,
    Unchanged,
}

public sealed record IngestResult(string DocumentId, IngestStatus Status, int Chunks, int DistilledUnits);
