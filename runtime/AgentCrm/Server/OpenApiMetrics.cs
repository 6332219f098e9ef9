using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.OpenApi;

namespace AgentCrm.Server;

/// <summary>
/// <c>GET /metrics</c> in the document: the Prometheus exporter maps a plain endpoint, which the generator does not list.
/// Described from the endpoint the server mapped (none when Telemetry:Metrics:Enabled is false; no credential when
/// Telemetry:Metrics:Anonymous is true), with the roles its authorization names.
/// </summary>
internal static class OpenApiMetrics
{
    public const string Path = "/metrics";

    public static void Add(OpenApiDocument document, IServiceProvider services)
    {
        var endpoint = services.GetService<EndpointDataSource>()?.Endpoints.OfType<RouteEndpoint>()
            .FirstOrDefault(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == "Metrics");
        if (endpoint is null || document.Paths.ContainsKey(Path))
            return;
        var operation = new OpenApiOperation
        {
            OperationId = "Metrics",
            Summary = "The server's metrics in the Prometheus text format, for a scraper (HEAD answers as GET without the body).",
            Tags = new HashSet<OpenApiTagReference> { new("Operations", document) },
            Responses = new OpenApiResponses
            {
                ["200"] = new OpenApiResponse
                {
                    Description = "The metrics (agentcrm_… and the runtime's).",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["text/plain"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                        ["application/openmetrics-text"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                    },
                },
            },
        };
        var roles = endpoint.Metadata.OfType<AuthorizationPolicy>().SelectMany(p => p.Requirements.OfType<RolesAuthorizationRequirement>())
            .SelectMany(r => r.AllowedRoles).Distinct(StringComparer.Ordinal).ToList();
        if (roles.Count > 0 || endpoint.Metadata.OfType<IAuthorizeData>().Any())
        {
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OpenApiV1Answers.ApiKeyScheme, document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OpenApiV1Answers.BearerScheme, document)] = [] },
            ];
            var problem = new OpenApiSchemaReference(nameof(Microsoft.AspNetCore.Mvc.ProblemDetails), document);
            operation.Responses["401"] = new OpenApiResponse
            {
                Description = "No valid credential: an API key in X-Api-Key, or a bearer token (JWT) where Auth:Jwt is configured.",
                Content = new Dictionary<string, OpenApiMediaType> { [OpenApiDescriptions.ProblemJson] = new() { Schema = problem } },
            };
            operation.Responses["403"] = new OpenApiResponse
            {
                Description = OpenApiV1Answers.RolesText(roles),
                Content = new Dictionary<string, OpenApiMediaType> { [OpenApiDescriptions.ProblemJson] = new() { Schema = problem } },
            };
        }
        document.Paths[Path] = new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Get] = operation } };
    }
}
