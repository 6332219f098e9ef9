using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AgentCrm.Server;

/// <summary>
/// A request body the OpenAPI document describes without routing enforcing its content types. <c>.Accepts</c>
/// makes routing answer 415 to any other type before the handler runs; the endpoints that carry this instead
/// answer such bodies themselves (400 naming the part, or — for an optional body — nothing to read), and keep
/// doing so. Each entry gives its content types the schema of <see cref="Type"/>.
/// </summary>
internal sealed record DescribedBody(Type Type, bool IsOptional, params string[] ContentTypes);

/// <summary>
/// A request body of one <see cref="Type"/> or a JSON array of them in <see cref="JsonTypes"/>, and one per line in
/// <see cref="LineTypes"/> (NDJSON): documentation only, beside the <c>.Accepts</c> that routes the content types.
/// </summary>
internal sealed record DescribedItems(Type Type, string[] JsonTypes, string[] LineTypes);

/// <summary>A query parameter the handler reads from the request itself (not a bound parameter), or one it requires though it binds it as optional (to answer its absence itself).</summary>
internal sealed record DescribedQuery(string Name, string Description, bool Required = false);

/// <summary>
/// What else an answer of <see cref="Status"/> means on this endpoint, beyond what every <c>/v1</c> operation's says
/// (<see cref="OpenApiV1Answers"/>): appended to that text, or the whole text of a status no middleware answers.
/// </summary>
internal sealed record AlsoAnswers(int Status, string Description);

/// <summary>Endpoint metadata: its 201 and 202 answers carry no <c>Location</c> (see <see cref="OpenApiDescriptions.AnswersWithoutLocation"/>).</summary>
internal sealed record WithoutLocation;

/// <summary>The multipart parts of <c>POST /v1/cases/{name}</c> and of an evaluation on an uploaded file: a data part (<c>cases</c>, <c>file</c> or <c>events</c>) and <c>mapping</c> or <c>labels</c>.</summary>
internal sealed class CaseUploadForm
{
    /// <summary>The case file: a tabular CSV (with <c>mapping</c>) or an NDJSON timeline (with <c>labels</c>).</summary>
    public IFormFile? Cases { get; init; }

    /// <summary>A tabular CSV (another name for the data part).</summary>
    public IFormFile? File { get; init; }

    /// <summary>An NDJSON timeline (another name for the data part).</summary>
    public IFormFile? Events { get; init; }

    /// <summary>The YAML mapping of a tabular CSV.</summary>
    public IFormFile? Mapping { get; init; }

    /// <summary>The labels CSV of an NDJSON timeline.</summary>
    public IFormFile? Labels { get; init; }
}

/// <summary>The multipart parts of <c>POST /v1/agents/plugins</c>.</summary>
internal sealed class PluginUploadForm
{
    /// <summary>The plugin .dll, compiled against AgentCrm.Agents.Contract.</summary>
    public required IFormFile Assembly { get; init; }

    /// <summary>The version's manifest (JSON or YAML, kind: plugin), as a file or a plain field.</summary>
    public required IFormFile Manifest { get; init; }
}

/// <summary>The multipart parts of <c>POST /v1/knowledge/documents</c>; the fields may also be query parameters.</summary>
internal sealed class KnowledgeDocumentForm
{
    /// <summary>The document: Markdown, HTML or plain text, its type from the file name's extension.</summary>
    public required IFormFile File { get; init; }

    public string? Id { get; init; }

    public string? Title { get; init; }

    /// <summary>Comma-separated.</summary>
    public string? Tags { get; init; }

    public string? Scenario { get; init; }
}

/// <summary>What the OpenAPI document says beyond what the endpoint metadata gives it.</summary>
internal static class OpenApiDescriptions
{
    public const string ProblemJson = "application/problem+json";

    /// <summary>Describes a request body of <typeparamref name="T"/> in <paramref name="contentTypes"/> (documentation only; see <see cref="DescribedBody"/>).</summary>
    public static TBuilder DescribesBody<TBuilder, T>(this TBuilder builder, bool isOptional, params string[] contentTypes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new DescribedBody(typeof(T), isOptional, contentTypes));

    /// <inheritdoc cref="DescribesBody{TBuilder, T}(TBuilder, bool, string[])"/>
    public static RouteHandlerBuilder DescribesBody<T>(this RouteHandlerBuilder builder, params string[] contentTypes) =>
        builder.DescribesBody<RouteHandlerBuilder, T>(false, contentTypes);

    /// <summary>Says that the endpoint's 201 and 202 answers carry no <c>Location</c> (every other endpoint's point at what they made or started).</summary>
    public static RouteHandlerBuilder AnswersWithoutLocation(this RouteHandlerBuilder builder) => builder.WithMetadata(new WithoutLocation());

    /// <summary>Describes a body of one <typeparamref name="T"/> or an array of them in <paramref name="jsonTypes"/>, one per line in <paramref name="lineTypes"/>.</summary>
    public static RouteHandlerBuilder DescribesItems<T>(this RouteHandlerBuilder builder, string[] jsonTypes, string[] lineTypes) =>
        builder.WithMetadata(new DescribedItems(typeof(T), jsonTypes, lineTypes));

    /// <summary>Describes query parameter <paramref name="name"/> (see <see cref="DescribedQuery"/>).</summary>
    public static RouteHandlerBuilder DescribesQuery(this RouteHandlerBuilder builder, string name, string description, bool required = false) =>
        builder.WithMetadata(new DescribedQuery(name, description, required));

    /// <summary>Says what else an answer of <paramref name="status"/> means here (see <see cref="AlsoAnswers"/>).</summary>
    public static RouteHandlerBuilder AlsoAnswers(this RouteHandlerBuilder builder, int status, string description) =>
        builder.WithMetadata(new AlsoAnswers(status, description));

    /// <inheritdoc cref="DescribesBody{TBuilder, T}(TBuilder, bool, string[])"/>
    public static RouteHandlerBuilder DescribesOptionalBody<T>(this RouteHandlerBuilder builder, params string[] contentTypes) =>
        builder.DescribesBody<RouteHandlerBuilder, T>(true, contentTypes);
}

/// <summary>
/// Completes what the endpoint metadata gives the OpenAPI document: the request bodies of <see cref="DescribedBody"/>,
/// and every content type a status's <c>.Produces</c> entries name (the generator keeps the last entry per status only).
/// The answers no handler declares are <see cref="OpenApiV1Answers"/>'.
/// </summary>
internal sealed class OpenApiDescriptionsTransformer : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var bodies = metadata.OfType<DescribedBody>().ToList();
        if (bodies.Count > 0)
        {
            var body = operation.RequestBody as OpenApiRequestBody ?? new OpenApiRequestBody();
            body.Content ??= new Dictionary<string, OpenApiMediaType>(StringComparer.OrdinalIgnoreCase);
            body.Required = bodies.Any(b => !b.IsOptional);
            foreach (var described in bodies)
            {
                // An object's schema is a component (a client names it), a text's is inline.
                var schema = described.Type == typeof(string)
                    ? await context.GetOrCreateSchemaAsync(described.Type, null, cancellationToken)
                    : await ProblemSchemaAsync(context, cancellationToken, described.Type);
                foreach (var contentType in described.ContentTypes)
                    body.Content[contentType] = new OpenApiMediaType { Schema = schema };
            }
            operation.RequestBody = body;
        }
        foreach (var items in metadata.OfType<DescribedItems>())
        {
            var body = operation.RequestBody as OpenApiRequestBody ?? new OpenApiRequestBody { Required = true };
            body.Content ??= new Dictionary<string, OpenApiMediaType>(StringComparer.OrdinalIgnoreCase);
            var item = await ProblemSchemaAsync(context, cancellationToken, items.Type);
            foreach (var contentType in items.JsonTypes)
                body.Content[contentType] = new OpenApiMediaType
                {
                    Schema = new OpenApiSchema { OneOf = [item, new OpenApiSchema { Type = JsonSchemaType.Array, Items = item }], Description = "One event, or a JSON array of them." },
                };
            // OpenAPI 3.1 has no keyword for the items of a line-delimited body: the schema is each line's, as the description says.
            foreach (var contentType in items.LineTypes)
                body.Content[contentType] = new OpenApiMediaType { Schema = new OpenApiSchema { AllOf = [item], Description = "Each non-empty line is one JSON value of this schema (NDJSON)." } };
            operation.RequestBody = body;
        }
        foreach (var query in metadata.OfType<DescribedQuery>())
        {
            operation.Parameters ??= [];
            if (operation.Parameters.OfType<OpenApiParameter>().FirstOrDefault(p => p.In == ParameterLocation.Query && string.Equals(p.Name, query.Name, StringComparison.Ordinal)) is not { } parameter)
            {
                parameter = new OpenApiParameter { Name = query.Name, In = ParameterLocation.Query, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
                operation.Parameters.Add(parameter);
            }
            parameter.Description = query.Description;
            parameter.Required = query.Required;
        }

        operation.Responses ??= [];
        foreach (var also in metadata.OfType<AlsoAnswers>())
            if (operation.Responses.TryGetValue(Key(also.Status), out var listed) && listed is OpenApiResponse bare && IsBare(bare, also.Status))
                bare.Description = also.Description;
        foreach (var produces in metadata.OfType<IProducesResponseTypeMetadata>())
        {
            if (produces.Type is not { } type || type == typeof(void)
                || !operation.Responses.TryGetValue(Key(produces.StatusCode), out var existing) || existing is not OpenApiResponse response)
                continue;
            foreach (var contentType in produces.ContentTypes)
            {
                response.Content ??= new Dictionary<string, OpenApiMediaType>(StringComparer.OrdinalIgnoreCase);
                if (!response.Content.ContainsKey(contentType))
                    response.Content[contentType] = new OpenApiMediaType { Schema = await context.GetOrCreateSchemaAsync(type, null, cancellationToken) };
            }
        }
    }

    /// <summary>A reference to the document's schema of <paramref name="type"/> (by default ProblemDetails), registering it in <c>components</c> when no endpoint has yet.</summary>
    internal static async Task<IOpenApiSchema> ProblemSchemaAsync(OpenApiOperationTransformerContext context, CancellationToken cancellationToken, Type? type = null)
    {
        type ??= typeof(ProblemDetails);
        var id = type.Name;
        if (context.Document is not { } document)
            return await context.GetOrCreateSchemaAsync(type, null, cancellationToken);
        if (document.Components?.Schemas?.ContainsKey(id) != true)
            document.AddComponent(id, await context.GetOrCreateSchemaAsync(type, null, cancellationToken));
        return new OpenApiSchemaReference(id, document);
    }

    internal static string Key(int status) => status.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="response"/> says no more than its status's reason phrase (what the generator writes for a <c>.Produces</c>).</summary>
    internal static bool IsBare(OpenApiResponse response, int status) =>
        string.IsNullOrEmpty(response.Description) || response.Description == Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);

    /// <summary>
    /// Gives the operation's answer of <paramref name="status"/> the text <paramref name="description"/> (what every operation's
    /// answer of that status means) followed by what the endpoint's <see cref="AlsoAnswers"/> adds; the response either way.
    /// </summary>
    internal static OpenApiResponse? Describe(OpenApiOperation operation, IList<object> metadata, IOpenApiSchema schema, int status, string description)
    {
        var response = AddProblem(operation, schema, status, description);
        if (response is null)
            return null;
        var also = metadata.OfType<AlsoAnswers>().Where(a => a.Status == status).Select(a => a.Description).ToList();
        response.Description = string.Join(" ", [description, .. also]);
        return response;
    }

    /// <summary>Adds <paramref name="status"/> as a ProblemDetails answer unless the operation lists it; the response either way.</summary>
    internal static OpenApiResponse? AddProblem(OpenApiOperation operation, IOpenApiSchema schema, int status, string description)
    {
        operation.Responses ??= [];
        if (operation.Responses.TryGetValue(Key(status), out var existing))
            return existing as OpenApiResponse;
        var response = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { [OpenApiDescriptions.ProblemJson] = new() { Schema = schema } },
        };
        operation.Responses[Key(status)] = response;
        return response;
    }
}
