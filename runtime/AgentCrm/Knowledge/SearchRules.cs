using AgentCrm.Server;

namespace AgentCrm.Knowledge;

/// <summary>What a knowledge search must be given, the same over HTTP (<c>q</c>, <c>k</c>) and in the CLI (<c>QUERY</c>, <c>--k</c>).</summary>
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
}
