using AgentCrm.Knowledge;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AgentCrm.Server;

/// <summary>
/// Describes the integer query parameters (<c>limit</c>, <c>k</c>) as what they are. They bind as strings so that
/// <see cref="QueryNumbers"/> can name them in a ProblemDetails, which would otherwise make the OpenAPI document
/// call them strings.
/// </summary>
internal sealed class QueryNumbersOpenApi : IOpenApiOperationTransformer
{
    private static readonly Dictionary<string, (int Min, int Max, int Default)> Ranges = new(StringComparer.Ordinal)
    {
        ["limit"] = (1, Paging.MaxLimit, Paging.DefaultLimit),
        ["k"] = (1, SearchRules.MaxHits, SearchRules.DefaultHits),
    };

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is OpenApiParameter { In: ParameterLocation.Query, Name: { } name } concrete && Ranges.TryGetValue(name, out var range))
            {
                concrete.Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer,
                    Format = "int32",
                    Minimum = range.Min.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Maximum = range.Max.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Default = System.Text.Json.Nodes.JsonValue.Create(range.Default),
                };
            }
        }
        return Task.CompletedTask;
    }
}
