using AgentCrm.Access;
using AgentCrm.Agents;
using AgentCrm.Server;
using AgentCrm.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Audit;

/// <summary>The body of <c>POST /v1/audit/verify</c>, optional: heads of earlier verifies the log must still hold.</summary>
public sealed record AuditVerifyRequest(IReadOnlyList<AuditAnchorRequest?>? Anchors = null);

public sealed record AuditAnchorRequest(long? Seq, string? Hash);

/// <summary>The audit log over HTTP (API.md, "Audit"): admin and reviewer read and verify it.</summary>
public static partial class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/audit").WithTags("Audit");
        group.MapGet("/", List).WithName("ListAudit").RequireRoles(Roles.Reviewer)
            .WithSummary("Hash-chained audit records, newest first; filters subject (exact, or prefix*), action, actor, since.")
            .DescribesQuery("actor", "Who acted, exactly as records name it: key:NAME (an API key), jwt:SUBJECT, cli:USER, agent:ID@VERSION, system:….")
            .ProducesValidationProblem();
        group.MapPost("/verify", Verify)
            .WithName("VerifyAudit").RequireRoles(Roles.Reviewer)
            .WithSummary("Recomputes the chain: { ok, records, head } or the first broken record; a call while a pass runs shares that pass and its answer. "
                + "Optional body { anchors: [{ seq, hash }] }: heads of earlier verifies kept elsewhere, which the log must still hold. "
                + "An empty body of any type is no anchors (curl -d '' sends a form type); a body with content in another type than JSON is 415.")
            // Documented, not enforced by routing: an empty body is taken whatever its declared type (such calls worked before anchors).
            .DescribesOptionalBody<AuditVerifyRequest>("application/json")
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType);
        return group;
    }

    /// <summary>The most anchors one verify takes.</summary>
    public const int MaxAnchors = 1000;

    public static async Task<Results<Ok<AuditVerification>, ProblemHttpResult>> Verify(
        HttpRequest request, AuditLog audit, SqliteDatabase database, ILogger<AuditLog> logger, CancellationToken cancellationToken)
    {
        // No body, whatever its declared type (curl -d '' sends a form type): no anchors, as before anchors existed.
        var (body, error) = request.ContentLength == 0 ? (null, null) : await JsonBody.ReadAsync<AuditVerifyRequest>(request, 256 * 1024, cancellationToken);
        if (error is not null)
            return error;
        var anchors = new List<AuditAnchor>();
        var errors = new Dictionary<string, string[]>();
        var given = body?.Anchors ?? [];
        if (given.Count > MaxAnchors)
            errors["anchors"] = [$"At most {MaxAnchors} anchors."];
        for (var i = 0; i < given.Count && i < MaxAnchors; i++)
        {
            if (given[i] is not { } a)
            {
                errors[$"anchors[{i}]"] = ["An anchor is an object { seq, hash }: the head an earlier verify returned."];
                continue;
            }
            var seqProblem = a.Seq is not >= 1;
            if (seqProblem)
                errors[$"anchors[{i}].seq"] = [a.Seq is null ? "seq is required: the anchored record's number, 1 or more." : "seq must be 1 or more: the anchored record's number."];
            var hashProblem = a.Hash is null ? "hash is required: the anchored record's hash, 64 hexadecimal digits (a SHA-256, as verify prints it)." : AuditAnchor.HashProblem(a.Hash);
            if (hashProblem is not null)
                errors[$"anchors[{i}].hash"] = [char.ToUpperInvariant(hashProblem[0]) + hashProblem[1..]];
            if (!seqProblem && hashProblem is null)
                anchors.Add(new AuditAnchor(a.Seq!.Value, a.Hash!.ToLowerInvariant()));
        }
        if (errors.Count > 0)
            return Problems.Validation(errors, detail: "The anchors are invalid; nothing was verified.");
        var pass = await audit.VerifyAsync().WaitAsync(cancellationToken);
        // A pass shared with a caller that came first may have begun before this caller's newest anchor was written: one
        // begun after this call came in covers every record the caller can have seen (unless records were removed). A chain
        // whose rows differ is held to the anchors too (AuditLog.CheckAnchors).
        if (anchors.Count > 0 && (pass.Ok || pass.Differences is { Count: > 0 }) && anchors.Max(a => a.Seq) > pass.Records)
            pass = await audit.VerifyAsync().WaitAsync(cancellationToken);
        // A break found on request is logged as the background pass logs one (qa42c #2; agentcrm_audit_intact reads the pass),
        // once per change: a monitor calling verify every minute on a broken log, or callers sharing a pass, do not repeat it.
        // So is an anchor the log no longer holds (records rewritten consistently since the anchor was taken).
        var chain = pass;
        if (anchors.Count > 0)
        {
            using var connection = database.Open();
            pass = AuditLog.CheckAnchors(connection, pass, anchors);
            // agentcrm_audit_intact shows this answer: a log its anchors find rewritten is not intact.
            audit.LastVerification = pass;
        }
        if (audit.FirstReportOf(chain, pass))
            LogBroken(logger, pass.Problem!);
        return TypedResults.Ok(pass);
    }

    public static Results<Ok<ItemsPage<AuditRecord>>, ProblemHttpResult> List(AuditLog audit, string? subject, string? action, string? actor, string? since, string? limit, string? cursor)
    {
        var errors = new Dictionary<string, string[]>();
        var parsedSince = Paging.Since(since, errors);
        var (take, after) = Paging.Read(limit, cursor, Paging.Audit, errors);
        if (errors.Count > 0)
            return Problems.Validation(errors);
        var rows = audit.Query(new AuditQuery(subject, action, parsedSince, take + 1, after, actor));
        var items = rows.Take(take).ToList();
        return TypedResults.Ok(new ItemsPage<AuditRecord>(items, rows.Count > take ? Paging.SeqCursor(Paging.Audit, items[^1].Seq) : null));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit log verified on request: {Problem} (agentcrm audit verify --json lists every difference; README, \"What the log vouches for\").")]
    private static partial void LogBroken(ILogger logger, string problem);
}
