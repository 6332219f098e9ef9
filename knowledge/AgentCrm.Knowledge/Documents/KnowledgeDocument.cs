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

/// <summary>
/// A document with its sections in reading order. Chunk ids are positional (<c>id#c0007</c> is the document's 8th chunk):
/// a replaced document whose text gained a section numbers the chunks after it anew.
/// </summary>
public sealed record KnowledgeDocumentDetails(
    string Id,
    string Title,
    string Type,
    IReadOnlyList<string> Tags,
    string? Scenario,
    string Language,
    string ContentHash,
    int Chunks,
    int DistilledUnits,
    DateTimeOffset IngestedAt,
    IReadOnlyList<DocumentSection> Sections)
{
    public static KnowledgeDocumentDetails From(KnowledgeDocument d, IReadOnlyList<DocumentSection> sections) =>
        new(d.Id, d.Title, d.Type, d.Tags, d.Scenario, d.Language, d.ContentHash, d.Chunks, d.DistilledUnits, d.IngestedAt, sections);
}

/// <summary>One section: its heading path (as citations show it) and its chunks' ids.</summary>
public sealed record DocumentSection(string Heading, IReadOnlyList<string> ChunkIds);

public enum IngestStatus
{
    Created,
    Replaced,
    Unchanged,

    /// <summary>
    /// Same content, new title, tags, scenario or language: set without embedding the document again, unless a new title
    /// re-files the document's opening text (filed under its title): then its units are embedded again.
    /// </summary>
    MetadataUpdated,
}

/// <summary>What an ingest did; <c>Changed</c> lists, for <see cref="IngestStatus.MetadataUpdated"/>, the fields that changed (title, tags, scenario, language).</summary>
public sealed record IngestResult(string DocumentId, IngestStatus Status, int Chunks, int DistilledUnits, string ContentHash, IReadOnlyList<string>? Changed = null);
