namespace AgentCrm.Knowledge.Stores;

public static class SearchFilterExtensions
{
    /// <summary>True when the record meets every non-null condition of the filter (tags: any of them, in any case).</summary>
    public static bool Matches(this SearchFilter? filter, KnowledgeRecord record) =>
        filter is null
        || ((filter.DocumentId is null || record.DocumentId == filter.DocumentId)
            && (filter.Scenario is null || record.Scenario == filter.Scenario)
            && (filter.Language is null || record.Language == filter.Language)
            && (filter.Kind is null || record.Kind == filter.Kind)
            && (filter.Tags is null || filter.Tags.Count == 0 || filter.Tags.Any(t => record.Tags.Contains(t, StringComparer.OrdinalIgnoreCase))));

    internal static bool IsEmpty(this SearchFilter? filter) =>
        filter is null || (filter.DocumentId is null && filter.Scenario is null && filter.Language is null && filter.Kind is null && (filter.Tags is null || filter.Tags.Count == 0));
}
