using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;
using AgentCrm.Server;

namespace AgentCrm.Knowledge;

/// <summary>
/// What a knowledge search must be given, the same over HTTP (<c>q</c>, <c>k</c>, <c>tags</c>, <c>documentId</c>,
/// <c>scenario</c>) and in the CLI (<c>QUERY</c>, <c>--k</c>, <c>--tags</c>, <c>--documentId</c>, <c>--scenario</c>).
/// </summary>
internal static class SearchRules
{
    public const int DefaultHits = 5;
    public const int MaxHits = 50;

    /// <summary>The number of hits to return; problems go into <paramref name="errors"/> under the caller's names for the query and k.</summary>
    public static int Read(string? query, string? k, IDictionary<string, string[]> errors, string queryName = "q", string kName = "k")
    {
        if (string.IsNullOrWhiteSpace(query))
            errors[queryName] = [$"{queryName} is required: what to look for."];
        return QueryNumbers.Read(k, kName, 1, MaxHits, errors) ?? DefaultHits;
    }

    /// <summary>
    /// The filter: tags (comma-separated, any of them), a document id and a scenario, each under the rule documents are
    /// filed by (a value no document can have is a mistake to name, not a search that finds nothing); problems go into
    /// <paramref name="errors"/> under the caller's names.
    /// </summary>
    public static SearchFilter ReadFilter(string? tags, string? documentId, string? scenario, IDictionary<string, string[]> errors,
        string tagsName = "tags", string documentIdName = "documentId", string scenarioName = "scenario")
    {
        var tagList = SplitTags(tags);
        var problems = DocumentRules.Problems(null, tagList, scenario);
        if (problems.TryGetValue("tags", out var tagProblems))
            errors[tagsName] = tagProblems;
        if (problems.TryGetValue("scenario", out var scenarioProblems))
            errors[scenarioName] = scenarioProblems;
        if (documentId is not null && DocumentIds.Problem(documentId) is { } idProblem)
            errors[documentIdName] = [idProblem];
        // Tags are lower-cased as documents' are (Zoo finds zoo; "zoo,Zoo" is one tag).
        return new SearchFilter(documentId, tagList is null ? null : DocumentRules.NormaliseTags(tagList), scenario);
    }

    /// <summary>Comma-separated tags, trimmed, blanks dropped; null when there are none.</summary>
    public static IReadOnlyList<string>? SplitTags(string? tags) =>
        string.IsNullOrWhiteSpace(tags) ? null : tags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
