using System.Text.RegularExpressions;

namespace AgentCrm.Knowledge.Documents;

/// <summary>
/// What a document's metadata may be, the same for every caller (HTTP, CLI, the service itself): a title of at most
/// <see cref="MaxTitleLength"/> characters without control characters (titles are shown in citations, one line each);
/// at most <see cref="MaxTags"/> tags of 1–<see cref="MaxTagLength"/> characters of letters, digits, '.', '_', '-';
/// a scenario under the id rule (lower-case letters, digits, '.', '_', '-'), like an agent manifest's.
/// </summary>
public static partial class DocumentRules
{
    public const int MaxTitleLength = 200;
    public const int MaxTags = 20;
    public const int MaxTagLength = 40;

    /// <summary>The problems with the metadata by field (<c>title</c>, <c>tags</c>, <c>scenario</c>); empty when there are none.</summary>
    public static Dictionary<string, string[]> Problems(string? title, IReadOnlyList<string>? tags, string? scenario)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (title is not null)
        {
            if (title.Length > MaxTitleLength)
                errors["title"] = [$"title is {title.Length} characters; at most {MaxTitleLength}."];
            else if (title.Any(char.IsControl))
                errors["title"] = ["title must be one line of text: no line breaks, tabs or other control characters."];
        }

        if (tags is not null)
        {
            if (tags.Count > MaxTags)
                errors["tags"] = [$"{tags.Count} tags; at most {MaxTags}."];
            else if (tags.FirstOrDefault(t => !TagPattern().IsMatch(t)) is { } bad)
                errors["tags"] = [$"tag '{Shorten(bad)}' is invalid: use 1–{MaxTagLength} characters of letters, digits, '.', '_' or '-', starting with a letter or digit."];
        }

        if (scenario is not null && !ScenarioPattern().IsMatch(scenario))
            errors["scenario"] = [$"scenario '{Shorten(scenario)}' is invalid: use 1–64 characters of a–z, 0–9, '.', '_' or '-', starting with a letter or digit (e.g. renewal-risk)."];
        return errors;
    }

    /// <summary>
    /// Tags as stored and as searched: trimmed, lower-cased (as document ids and scenarios are: <c>Zoo</c> and <c>zoo</c> are one
    /// tag), blanks dropped, each once, in the order given.
    /// </summary>
    public static IReadOnlyList<string> NormaliseTags(IEnumerable<string>? tags) =>
        tags is null ? [] : [.. tags.Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal)];

    /// <summary>Whether tags are as <see cref="NormaliseTags"/> gives them (a document stored by a build before tags were lower-cased may hold others).</summary>
    public static bool AreNormal(IReadOnlyList<string> tags) => tags.SequenceEqual(NormaliseTags(tags), StringComparer.Ordinal);

    private static string Shorten(string value) =>
        string.Concat((value.Length > 40 ? value[..40] + "…" : value).Select(c => char.IsControl(c) ? '?' : c));

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}\z")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,63}\z")]
    private static partial Regex ScenarioPattern();
}
