using AgentCrm.Access;
using AgentCrm.Agents;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Intake;

public sealed record ReplayRequest(IReadOnlyList<long>? Seqs = null);

/// <summary>Ops' view of accepted events whose turn kept failing, and their replay (<see cref="DeadLetterStore"/>).</summary>
public static class DeadLettersApi
{
    public static RouteGroupBuilder MapDeadLettersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/dead-letters").WithTags("Events");
        group.MapGet("/", List).WithName("ListDeadLetters").RequireRoles(Roles.Ops)
            .WithSummary("Accepted events whose turn failed after its retries, in inbox order.")
            .ProducesValidationProblem();
        group.MapPost("/replay", ReplayAsync).WithName("ReplayDeadLetters").RequireRoles(Roles.Ops)
            .WithSummary("Deliver dead letters again (all, or the given seqs); applied ones leave the list.")
            .DescribesOptionalBody<ReplayRequest>("application/json").ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge).ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType);
        return group;
    }

    public static Results<Ok<ItemsPage<DeadLetter>>, ProblemHttpResult> List(DeadLetterStore store, string? limit, string? cursor)
    {
        var errors = new Dictionary<string, string[]>();
        var (take, after) = Paging.Read(limit, cursor, Paging.DeadLetters, errors);
        if (errors.Count > 0)
            return Problems.Validation(errors);
        var items = store.List(take, after ?? 0);
        var more = items.Count > take;
        if (more)
            items.RemoveAt(items.Count - 1);
        return TypedResults.Ok(new ItemsPage<DeadLetter>(items, more ? Paging.SeqCursor(Paging.DeadLetters, items[^1].Seq) : null));
    }

    public static async Task<Results<Ok<ReplayOutcome>, ProblemHttpResult>> ReplayAsync(HttpRequest request, DeadLetterStore store, HttpContext context, CancellationToken cancellationToken)
    {
        IReadOnlyList<long>? seqs = null;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var (body, error) = await JsonBody.ReadAsync<ReplayRequest>(request, 64 * 1024, cancellationToken);
            if (error is not null)
                return error;
            seqs = body?.Seqs;
            if (seqs is { Count: > DeadLetterStore.MaxReplay })
                return Problems.Validation(new Dictionary<string, string[]> { ["seqs"] = [$"At most {DeadLetterStore.MaxReplay} seqs per replay."] });
            if (seqs is { Count: 0 })
                return Problems.Validation(new Dictionary<string, string[]> { ["seqs"] = ["seqs is empty: leave it out to replay every dead letter, or name the ones to replay."] });
            if (seqs is not null && seqs.Any(s => s <= 0))
                return Problems.Validation(new Dictionary<string, string[]> { ["seqs"] = ["seqs are positive inbox sequences, as GET /v1/dead-letters lists them."] });
        }
        return TypedResults.Ok(await store.ReplayAsync(seqs, Caller.From(context.User).AuditActor, cancellationToken));
    }
}
