namespace AgentCrm.Agents.Compliance;

/// <summary>
/// Which document a finding is about, for the cooldown: its title, else its <c>docType</c>, normalised and without what
/// marks a version or a copy of it ("v2", "2024-03-01", "draft", "(resent)", ".pdf"), so the same terms sent again or
/// edited are the same document and "US Terms" after "EU Terms" another.
/// </summary>
internal static class DocumentIdentity
{
    /// <summary>Words that name a version, state or copy of a document rather than the document.</summary>
    private static readonly HashSet<string> VersionWords = new(
    [
        "v", "ver", "version", "rev", "revision", "revised", "draft", "final", "updated", "update", "amended", "restated", "new",
        "latest", "current", "signed", "executed", "clean", "redline", "redlined", "copy", "resent", "pdf", "docx", "doc", "txt", "html", "htm",
        "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june", "jul", "july", "aug", "august",
        "sep", "sept", "september", "oct", "october", "nov", "november", "dec", "december",
    ], StringComparer.Ordinal);

    /// <summary>The identity's longest length (the cooldown hashes it; a title is kept to 1,000 characters at intake).</summary>
    private const int MaxLength = 200;

    /// <summary>The document's identity, or "" when it has neither a title nor a type (then the findings alone are the key).</summary>
    public static string Of(string? title, string? docType)
    {
        var name = Strip(title);
        if (name.Length == 0)
            name = Strip(docType);
        return name.Length <= MaxLength ? name : name[..MaxLength];
    }

    private static string Strip(string? name) => string.Join(' ', DocumentTypes.Normalize(name).Split(' ', StringSplitOptions.RemoveEmptyEntries)
        .Where(w => !VersionWords.Contains(w) && !w.All(char.IsDigit) && !(w.Length > 1 && w[0] is 'v' or 'r' && w[1..].All(char.IsDigit))));
}
