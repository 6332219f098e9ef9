using AgentCrm.Access;
using AgentCrm.Agents;
using AgentCrm.Briefs;
using AgentCrm.Intake;
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
            .WithSummary("Hash-chained audit records, newest first; filters subject (exact, or prefix*), action, since.");
        group.MapPost("/verify", (AuditLog audit) => TypedResults.Ok(audit.Verify())).WithName("VerifyAudit").RequireRoles(Roles.Reviewer)
            .WithSummary("Recomputes the chain: { ok, records } or the first broken record.");
        return group;
    }

    public static Results<Ok<ItemsPage<AuditRecord>>, ProblemHttpResult> List(AuditLog audit, string? subject, string? action, string? since, int? limit, string? cursor)
    {
        var errors = new Dictionary<string, string[]>();
        DateTimeOffset? parsedSince = null;
        if (since is not null)
        {
            if (EventParser.TryParseTimestamp(since, out var t))
                parsedSince = t;
            else
                errors["since"] = ["since must be an ISO 8601 timestamp with a time zone, e.g. 2026-11-01T00:00:00Z."];
        }
        if (limit is < 1 or > BriefsApi.MaxLimit)
            errors["limit"] = [$"limit must be between 1 and {BriefsApi.MaxLimit}."];
        long? after = null;
        if (cursor is not null)
        {
            if (BriefStore.TryDecodeCursor(cursor, out var seq))
                after = seq;
            else
                errors["cursor"] = ["cursor is not one this server issued."];
        }
        if (errors.Count > 0)
            return Problems.Validation(errors);
        var take = limit ?? BriefsApi.DefaultLimit;
        var rows = audit.Query(new AuditQuery(subject, action, parsedSince, take + 1, after));
        var items = rows.Take(take).ToList();
        return TypedResults.Ok(new ItemsPage<AuditRecord>(items, rows.Count > take ? BriefStore.EncodeCursor(items[^1].Seq) : null));
    }
}
