namespace AgentCrm.Knowledge.Ingest;

/// <summary>A run of text under one heading path; <see cref="Paragraphs"/> never cross into another section.</summary>
public sealed record Section(IReadOnlyList<string> Headings, IReadOnlyList<string> Paragraphs)
{
    public const string PathSeparator = " › ";

    public string Path => string.Join(PathSeparator, Headings);
}

/// <summary>A parsed document: its title (first H1 unless given) and sections in reading order.</summary>
public sealed record ParsedDocument(string? Title, IReadOnlyList<Section> Sections, string NormalisedText);
