namespace AgentCrm.Knowledge.Ingest;

public enum DocumentType
{
    Markdown,
    Html,
    Text,
}

public static class DocumentTypes
{
    /// <summary>Maps a file extension, media type or name ("md", "text/html", "txt") to a type; throws for anything else.</summary>
    public static DocumentType Parse(string value)
    {
        var key = value.Trim().ToLowerInvariant();
        var semicolon = key.IndexOf(';', StringComparison.Ordinal);
        if (semicolon >= 0)
        {
            key = key[..semicolon].Trim();
        }

        return key.TrimStart('.') switch
        {
            "md" or "markdown" or "text/markdown" or "text/x-markdown" => DocumentType.Markdown,
            "html" or "htm" or "text/html" or "application/xhtml+xml" => DocumentType.Html,
            "txt" or "text" or "text/plain" => DocumentType.Text,
            _ => throw new KnowledgeInputException($"Unknown document type '{value}'; use markdown (.md), html (.html) or text (.txt)."),
        };
    }

    public static bool TryFromPath(string path, out DocumentType type)
    {
        type = default;
        var extension = Path.GetExtension(path);
        if (string.IsNullOrEmpty(extension))
        {
            return false;
        }

        try
        {
            type = Parse(extension);
            return true;
        }
        catch (KnowledgeInputException)
        {
            return false;
        }
    }
}
