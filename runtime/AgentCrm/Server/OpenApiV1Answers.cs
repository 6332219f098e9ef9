using System.Reflection;
using AgentCrm.Access;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AgentCrm.Server;

/// <summary>
/// What every <c>/v1</c> operation may answer besides what its handler declares, from the middleware in front of it:
/// <list type="bullet">
/// <item>an operation that requires a role: the credentials it takes (<see cref="ApiKeyScheme"/> or <see cref="BearerScheme"/>,
/// as <c>security</c>) and 401, and 403 naming the roles that may call it (<see cref="EndpointRoles.RequireRoles"/>) unless every role may;</item>
/// <item>400 for an unknown, repeated or empty query parameter (<see cref="QueryParameterCheck"/>);</item>
/// <item>415 for a body of a type the operation does not read (<see cref="Problems.UnsupportedType"/>), sent compressed or in a charset other than UTF-8 (<see cref="BodyEncodingCheck"/>);</item>
/// <item>429 with <c>Retry-After</c> beyond the credential's request rate (<see cref="CallerRateLimit"/>);</item>
/// <item>503 with <c>Retry-After</c> when storage or a service it calls fails (<see cref="DependencyFailureHandler"/>);</item>
/// <item><c>Location</c> on 201 and 202 answers, except an endpoint's marked <see cref="WithoutLocation"/>;</item>
/// <item>the values of a query parameter its handler parameter gives with <see cref="OpenApiValuesAttribute"/>.</item>
/// </list>
/// Each answer's text is the one every operation shares, followed by what the endpoint's <see cref="AlsoAnswers"/> adds.
/// Anonymous endpoints (<c>/healthz</c>, <c>/readyz</c>, this document) get none of it.
/// </summary>
internal sealed class OpenApiV1Answers : IOpenApiOperationTransformer
{
    public const string ApiKeyScheme = "ApiKey";
    public const string BearerScheme = "Bearer";

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.RelativePath?.StartsWith("v1/", StringComparison.Ordinal) != true)
            return;
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var problem = await OpenApiDescriptionsTransformer.ProblemSchemaAsync(context, cancellationToken);
        if (metadata.OfType<IAuthorizeData>().Any() || metadata.OfType<AuthorizationPolicy>().Any())
        {
            if (context.Document is { } document)
            {
                AddSchemes(document);
                // Two requirements: either credential authenticates (one requirement naming both would ask for both).
                operation.Security =
                [
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, document)] = [] },
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] },
                ];
            }
            var roles = metadata.OfType<AuthorizationPolicy>().SelectMany(p => p.Requirements.OfType<RolesAuthorizationRequirement>())
                .SelectMany(r => r.AllowedRoles).Distinct(StringComparer.Ordinal).ToList();
            OpenApiDescriptionsTransformer.Describe(operation, metadata, problem, StatusCodes.Status401Unauthorized,
                "No valid credential: an API key in X-Api-Key, or a bearer token (JWT) where Auth:Jwt is configured.");
            // Every credential carries a known role (others are refused as 401), so an operation open to all of them never answers 403.
            if (!Roles.All.All(roles.Contains) || operation.Responses?.ContainsKey(OpenApiDescriptionsTransformer.Key(StatusCodes.Status403Forbidden)) == true)
                OpenApiDescriptionsTransformer.Describe(operation, metadata, problem, StatusCodes.Status403Forbidden, RolesText(roles));
        }

        var validation = await OpenApiDescriptionsTransformer.ProblemSchemaAsync(context, cancellationToken, typeof(HttpValidationProblemDetails));
        OpenApiDescriptionsTransformer.Describe(operation, metadata, validation, StatusCodes.Status400BadRequest,
            "The request is invalid: each body field, query parameter (one this operation does not take, or given twice or empty, included) or path value at fault is named under errors.");
        OpenApiDescriptionsTransformer.Describe(operation, metadata, validation, StatusCodes.Status415UnsupportedMediaType,
            "A body of a content type this operation does not read (errors name Content-Type), sent compressed (a Content-Encoding other than identity: errors name Content-Encoding), "
            + "or in a charset other than UTF-8 (errors name Content-Type).");
        if (OpenApiDescriptionsTransformer.Describe(operation, metadata, problem, StatusCodes.Status429TooManyRequests,
                "Too many requests: the credential exceeded its request rate (Auth:RequestsPerSecond); retry after Retry-After seconds.") is { } tooMany)
            tooMany.Headers = new Dictionary<string, IOpenApiHeader>(tooMany.Headers ?? new Dictionary<string, IOpenApiHeader>())
            {
                ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait before retrying.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
            };
        if (OpenApiDescriptionsTransformer.Describe(operation, metadata, problem, StatusCodes.Status503ServiceUnavailable, Unavailable) is { } unavailable)
            unavailable.Headers = new Dictionary<string, IOpenApiHeader>(unavailable.Headers ?? new Dictionary<string, IOpenApiHeader>())
            {
                ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait before retrying: 10 for storage, 5 for another service.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
            };

        if (!metadata.OfType<WithoutLocation>().Any())
        {
            foreach (var status in new[] { StatusCodes.Status201Created, StatusCodes.Status202Accepted })
            {
                if (operation.Responses?.GetValueOrDefault(OpenApiDescriptionsTransformer.Key(status)) is OpenApiResponse response)
                {
                    response.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    response.Headers["Location"] = new OpenApiHeader
                    {
                        Description = status == StatusCodes.Status201Created ? "The address of what was created." : "The address of the job that was started (GET it for its progress).",
                        Required = true,
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" },
                    };
                }
            }
        }

        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is OpenApiParameter { In: ParameterLocation.Query, Schema: OpenApiSchema schema } concrete
                && Values(context.Description.ActionDescriptor, concrete.Name) is { } values)
                OpenApiSchemas.SetValues(schema, values);
        }
    }

    /// <summary>What a 503 of any <c>/v1</c> operation means (<see cref="DependencyFailureHandler"/>).</summary>
    internal const string Unavailable = "A dependency failed for a while: storage (a full disk, an I/O error, the database file moved away: Retry-After 10; a write stores nothing of itself) "
        + "or a service this server calls (Qdrant, the embedding or chat endpoint, daprd: Retry-After 5). The detail names it; the cause is logged under traceId.";

    /// <summary>The text of a 403 answer of an operation open to <paramref name="roles"/>.</summary>
    internal static string RolesText(IReadOnlyCollection<string> roles) =>
        roles.Count == 0 ? "The credential's role may not do this." : $"The credential's role may not do this; roles that may: {string.Join(", ", roles)}.";

    /// <summary>The credentials a <c>/v1</c> operation takes, in <c>components.securitySchemes</c>.</summary>
    private static void AddSchemes(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes.TryAdd(ApiKeyScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "X-Api-Key",
            Description = "An API key (acrm_…) made with `agentcrm keys create --role ROLE --name NAME`.",
        });
        document.Components.SecuritySchemes.TryAdd(BearerScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A JWT with a role claim, accepted where Auth:Jwt is configured (issuer, audience, signing key).",
        });
    }

    /// <summary>The values <see cref="OpenApiValuesAttribute"/> gives the handler parameter bound to query parameter <paramref name="name"/>.</summary>
    private static IReadOnlyList<string>? Values(ActionDescriptor action, string? name) =>
        action.EndpointMetadata.OfType<MethodInfo>().FirstOrDefault()?.GetParameters()
            .FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.GetCustomAttribute<OpenApiValuesAttribute>()?.Values;
}
