using System.Text.RegularExpressions;
using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>Document ids: what makes one valid, and the id a title or a file name gives.</summary>
public static partial class DocumentIds
{
    /// <summary>Why <paramref name="id"/> cannot be a document id as given (ids are never rewritten), or null when it can.</summary>
    public static string? Problem(string id) =>
        IdPattern().IsMatch(id) ? null : $"Document id '{id}' is invalid: use 1–100 characters of a–z, 0–9, '.', '_' or '-'.";

    internal static string Validate(string id) => Problem(id) is { } problem ? throw new KnowledgeInputException(problem) : id;

    internal static string? Slug(string text)
    {
        var slug = NonSlug().Replace(text.ToLowerInvariant(), "-").Trim('-');
        return slug.Length == 0 ? null : slug[..Math.Min(slug.Length, 64)].TrimEnd('-');
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,99}\z")]
    private static partial Regex IdPattern();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonSlug();

    /// <summary>The document id a file name gives: the name without its extension, lower-cased, other characters as '-'; null when nothing is left.</summary>
    public static string? FromFileName(string fileName) => Slug(Path.GetFileNameWithoutExtension(fileName));
}
