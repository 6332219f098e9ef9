using AgentCrm.Access;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCrm.Agents;

/// <summary>
/// An agent version. <see cref="Manifest"/> is there only at the version's own address (<c>GET /v1/agents/{id}/versions/{version}</c>),
/// not in lists of versions nor in the answers of register and the lifecycle actions: a fitted model's manifest runs to
/// megabytes (a promote of the fitted compliance-check answered 2 MB).
/// </summary>
public sealed record AgentVersionDto(string Id, string Version, string Kind, string Scenario, [property: OpenApiValues(typeof(AgentState))] string State, int CanaryPercent, string ContentHash, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] AgentManifest? Manifest);

public sealed record AgentDto(string Id, string? ActiveVersion, IReadOnlyList<AgentVersionDto> Versions);

public sealed record ItemsPage<T>(IReadOnlyList<T> Items, string? NextCursor);

public sealed record PromoteRequest(int? CanaryPercent = null);

public static class AgentsApi
{
    public static RouteGroupBuilder MapAgentsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/agents").WithTags("Agents");
        group.MapPost("/", Register).WithName("RegisterAgent").WithSummary("Register an agent version from a JSON or YAML manifest.")
            .Accepts<AgentManifest>("application/json", "application/yaml", "application/x-yaml", "text/yaml").RequireRoles(Roles.Ops)
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/", (AgentRegistry registry, string? limit, string? cursor) =>
            NamedPage.Of(registry.List().GroupBy(r => r.AgentId).Select(g => ToDto(g.Key, g)), a => a.Id, limit, cursor, NamedPage.Agents)).WithName("ListAgents")
            .RequireRoles(Roles.Ops, Roles.Csm, Roles.Reviewer).ProducesValidationProblem();
        group.MapGet("/{id}", GetAgent).WithName("GetAgent").RequireRoles(Roles.Ops, Roles.Csm, Roles.Reviewer)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id}/versions/{version}", GetVersion).WithName("GetAgentVersion").RequireRoles(Roles.Ops, Roles.Csm, Roles.Reviewer)
            .WithSummary("One agent version with its full manifest (lists of versions leave the manifest out).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/{id}", Unregister).WithName("UnregisterAgent").RequireRoles(Roles.Ops)
            .TakesNoBody("Unregister retires every version of the agent, for good; to take one version out of service, promote another or roll back.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/versions/{version}/promote", Promote).WithName("PromoteAgentVersion").RequireRoles(Roles.Ops)
            .Accepts<PromoteRequest>(isOptional: true, "application/json")
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status404NotFound).Produces<GateRefusalProblem>(StatusCodes.Status409Conflict, OpenApiDescriptions.ProblemJson)
            .AlsoAnswers(StatusCodes.Status409Conflict, "The gate refuses the version (its unmet criteria under unmet), or its state does not allow a promotion.");
        return group;
    }

    public static async Task<Results<Created<AgentVersionDto>, Ok<AgentVersionDto>, ProblemHttpResult>> Register(
        HttpRequest request, AgentRegistry registry, IOptions<AgentsOptions> options, HttpContext context, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxManifestBytes;
        var (text, error) = await RequestBody.ReadTextAsync(request, limit, $"A manifest is at most {limit} bytes (the setting Agents:MaxManifestBytes).", cancellationToken);
        if (error is not null)
            return error;
        var lines = ManifestLines.None;
        try
        {
            var source = ManifestReader.Parse(text, request.ContentType);
            lines = source.Lines;
            var result = await registry.RegisterAsync(source.Manifest, Caller.From(context.User).AuditActor, cancellationToken);
            var dto = Summary(result.Record);
            return result.Created ? TypedResults.Created($"/v1/agents/{dto.Id}", dto) : TypedResults.Ok(dto);
        }
        catch (ManifestException ex)
        {
            // Kind errors (e.g. a rule's expression) come from the registry; they get their line here.
            return Problems.Validation(lines.Annotate(ex.Errors), detail: "The manifest is invalid; nothing was registered.");
        }
        catch (AgentConflictException ex)
        {
            return ex.Field is { } field ? Problems.Conflict(field, ex.Message) : Problems.Conflict(ex.Message);
        }
    }

    public static Results<Ok<AgentDto>, ProblemHttpResult> GetAgent(string id, AgentRegistry registry)
    {
        var versions = registry.Versions(id);
        return versions.Count == 0 ? Problems.NotFound($"No agent '{id}' is registered.") : TypedResults.Ok(ToDto(id, versions));
    }

    public static Results<Ok<AgentVersionDto>, ProblemHttpResult> GetVersion(string id, string version, AgentRegistry registry) =>
        registry.Versions(id).FirstOrDefault(v => v.Version == version) is { } record
            ? TypedResults.Ok(ToDto(record))
            : Problems.NotFound($"No version '{version}' of agent '{id}' is registered.");

    public static async Task<Results<Ok<AgentDto>, ProblemHttpResult>> Unregister(string id, AgentRegistry registry, HttpContext context, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(ToDto(id, await registry.UnregisterAsync(id, Caller.From(context.User).AuditActor, cancellationToken)));
        }
        catch (AgentNotFoundException ex)
        {
            return Problems.NotFound(ex.Message);
        }
        catch (AgentConflictException ex)
        {
            // Another process changed the agents each time this unregister was about to be written.
            return Problems.Conflict(ex.Message);
        }
    }

    /// <summary>Activates a version through the promotion gate: 409 listing each unmet criterion without a passing report for its content hash.</summary>
    public static async Task<Results<Ok<AgentVersionDto>, ProblemHttpResult>> Promote(
        string id, string version, HttpRequest request, Sandbox.Lifecycle lifecycle, HttpContext context, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadAsync<PromoteRequest>(request, 64 * 1024, cancellationToken);
        if (error is not null)
            return error;
        var canary = 100;
        if (body?.CanaryPercent is { } c)
        {
            if (AgentRegistry.CanaryPercentError(c, "canaryPercent") is { } invalid)
                return Problems.Validation(new Dictionary<string, string[]> { ["canaryPercent"] = [invalid] });
            canary = c;
        }
        try
        {
            return TypedResults.Ok(Summary(await lifecycle.PromoteAsync(id, version, canary, Caller.From(context.User).AuditActor, cancellationToken)));
        }
        catch (AgentNotFoundException ex)
        {
            return Problems.NotFound(ex.Message);
        }
        catch (Sandbox.GateRefusedException ex)
        {
            return Problems.Conflict(ex.Message, new Dictionary<string, object?> { ["unmet"] = ex.Unmet });
        }
        catch (AgentConflictException ex)
        {
            return Problems.Conflict(ex.Message);
        }
    }

    /// <summary>The version with its full manifest: its own address only.</summary>
    public static AgentVersionDto ToDto(AgentVersionRecord r) => ToDto(r, withManifest: true);

    /// <summary>The version without its manifest, as lists give it: what register and the lifecycle actions answer.</summary>
    public static AgentVersionDto Summary(AgentVersionRecord r) => ToDto(r, withManifest: false);

    private static AgentVersionDto ToDto(AgentVersionRecord r, bool withManifest) =>
        new(r.AgentId, r.Version, r.Manifest.Kind, r.Manifest.Scenario, AgentRegistry.Name(r.State), r.CanaryPercent, r.ContentHash, r.CreatedAt, r.UpdatedAt,
            withManifest ? r.Manifest : null);

    /// <summary>An agent and its versions, without their manifests: 30 versions of a fitted compliance model were 64 MB.</summary>
    private static AgentDto ToDto(string id, IEnumerable<AgentVersionRecord> versions)
    {
        var list = versions.Select(v => ToDto(v, withManifest: false)).ToList();
        return new AgentDto(id, list.FirstOrDefault(v => v.State == "active")?.Version, list);
    }
}
