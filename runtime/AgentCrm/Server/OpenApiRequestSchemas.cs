using Microsoft.OpenApi;

namespace AgentCrm.Server;

/// <summary>
/// Request bodies as strictly as the server reads them (<see cref="JsonBody"/>, the manifest reader, intake): every object
/// schema a JSON or YAML body uses says <c>additionalProperties: false</c> (an unknown field is refused, and names are exact
/// camelCase), and a required field of a schema only requests use is not nullable (the handler refuses null as missing; the
/// generator typed every reference-type field <c>null | …</c>). A schema answers use too (a manifest) keeps its nulls: an
/// answer may carry them.
/// </summary>
internal static class OpenApiRequestSchemas
{
    private static readonly string[] ReadTypes = ["application/json", "application/yaml", "application/x-yaml", "text/yaml", "application/x-ndjson", "application/ndjson", "application/jsonl"];

    public static void Tighten(OpenApiDocument document)
    {
        var components = document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>();
        var requests = new List<IOpenApiSchema>();
        var responses = new List<IOpenApiSchema>();
        foreach (var operation in document.Paths.Values.SelectMany(p => (p.Operations ?? []).Values))
        {
            if (operation.RequestBody?.Content is { } content)
                requests.AddRange(content.Where(c => ReadTypes.Contains(c.Key, StringComparer.OrdinalIgnoreCase)).Select(c => c.Value.Schema).OfType<IOpenApiSchema>());
            foreach (var response in (operation.Responses ?? []).Values)
                responses.AddRange((response.Content ?? new Dictionary<string, OpenApiMediaType>()).Values.Select(m => m.Schema).OfType<IOpenApiSchema>());
        }
        var answered = Reachable(responses, components);
        foreach (var schema in Reachable(requests, components))
        {
            if (schema.Properties is not { Count: > 0 } properties || schema.AdditionalProperties is not null)
                continue;
            schema.AdditionalPropertiesAllowed = false;
            if (answered.Contains(schema))
                continue;
            foreach (var name in schema.Required ?? new HashSet<string>())
                if (properties.TryGetValue(name, out var property) && property is OpenApiSchema { Type: { } type } concrete && type.HasFlag(JsonSchemaType.Null) && type != JsonSchemaType.Null)
                    concrete.Type = type & ~JsonSchemaType.Null;
        }
    }

    /// <summary>Every concrete schema <paramref name="roots"/> use, through references to <paramref name="components"/>.</summary>
    private static HashSet<OpenApiSchema> Reachable(IEnumerable<IOpenApiSchema> roots, IDictionary<string, IOpenApiSchema> components)
    {
        var seen = new HashSet<OpenApiSchema>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<IOpenApiSchema>(roots);
        while (pending.TryPop(out var next))
        {
            var schema = next switch
            {
                OpenApiSchemaReference reference when reference.Reference?.Id is { } id && components.TryGetValue(id, out var target) => target as OpenApiSchema,
                OpenApiSchema concrete => concrete,
                _ => null,
            };
            if (schema is null || !seen.Add(schema))
                continue;
            foreach (var child in (schema.Properties ?? new Dictionary<string, IOpenApiSchema>()).Values
                .Concat(schema.AllOf ?? []).Concat(schema.OneOf ?? []).Concat(schema.AnyOf ?? []))
                pending.Push(child);
            if (schema.Items is { } items)
                pending.Push(items);
            if (schema.AdditionalProperties is { } values)
                pending.Push(values);
        }
        return seen;
    }
}
