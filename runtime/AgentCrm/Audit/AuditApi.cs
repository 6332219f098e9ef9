using AgentCrm.Access;
using AgentCrm.Agents;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Audit;

/// <summary>The audit log over HTTP (API.md, "Audit"): admin and reviewer read and verify it.</summary>
public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/audit").WithTags("Audit");
        group.MapGet("/", List).WithName("ListAudit").RequireRoles(Roles.Reviewer)
            .WithSummary("Hash-chained audit records, newest first; filters subject (exact, or prefix*), action, since.")
            .ProducesValidationProblem();
        group.MapPost("/verify", async (AuditLog audit, CancellationToken cancellationToken) => TypedResults.Ok(await audit.VerifyAsync().WaitAsync(cancellationToken)))
            .WithName("VerifyAudit").RequireRoles(Roles.Reviewer)
            .WithSummary("Recomputes the chain: { ok, records } or the first broken record; a call while a pass runs shares that pass and its answer.");
        return group;
    }

    public static Results<Ok<ItemsPage<AuditRecord>>, ProblemHttpResult> List(AuditLog audit, string? subject, string? action, string? since, string? limit, string? cursor)
    {
        var errors = new Dictionary<string, string[]>();
        var parsedSince = Paging.Since(since, errors);
        var (take, after) = Paging.Read(limit, cursor, Paging.Audit, errors);
        if (errors.Count > 0)
            return Problems.Validation(errors);
        var rows = audit.Query(new AuditQuery(subject, action, parsedSince, take + 1, after));
        var items = rows.Take(take).ToList();
        return TypedResults.Ok(new ItemsPage<AuditRecord>(items, rows.Count > take ? Paging.SeqCursor(Paging.Audit, items[^1].Seq) : null));
    }
}
