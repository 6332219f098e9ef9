using System.Text.Json.Nodes;

namespace AgentCrm.Knowledge.Stores.Qdrant;

/// <summary>Builds Qdrant <c>Filter</c> objects (<c>must</c> = all hold, <c>should</c> = at least one holds).</summary>
internal static class QdrantFilter
{
    /// <summary>The document's points, but for the point ids in <paramref name="except"/> (none: all of them).</summary>
    public static JsonObject ForDocument(string documentId, IReadOnlyList<string>? except = null)
    {
        var filter = new JsonObject { ["must"] = new JsonArray(Match(QdrantPayload.DocumentId, documentId)) };
        if (except is { Count: > 0 })
            filter["must_not"] = new JsonArray(new JsonObject { ["has_id"] = new JsonArray([.. except.Select(id => (JsonNode)id)]) });
        return filter;
    }

    /// <summary>Null when nothing is filtered; an empty tag list means "no tag condition", not "match nothing".</summary>
    public static JsonObject? From(SearchFilter? filter)
    {
        if (filter is null)
            return null;
        var must = new JsonArray();
        if (filter.DocumentId is { } documentId)
            must.Add(Match(QdrantPayload.DocumentId, documentId));
        if (filter.Scenario is { } scenario)
            must.Add(Match(QdrantPayload.Scenario, scenario));
        if (filter.Language is { } language)
            must.Add(Match(QdrantPayload.Language, language));
        if (filter.Kind is { } kind)
            must.Add(Match(QdrantPayload.Kind, kind));
        // Tags are "any of them": one should-condition per tag; a point's tag array matches if any element does.
        var should = new JsonArray();
        foreach (var tag in filter.Tags ?? [])
            should.Add(Match(QdrantPayload.Tags, tag));

        var result = new JsonObject();
        if (must.Count > 0)
            result["must"] = must;
        if (should.Count > 0)
            result["should"] = should;
        return result.Count == 0 ? null : result;
    }

    private static JsonObject Match(string key, string value) =>
        new() { ["key"] = key, ["match"] = new JsonObject { ["value"] = value } };
}
