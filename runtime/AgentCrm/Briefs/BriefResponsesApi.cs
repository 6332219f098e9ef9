using AgentCrm.Access;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Briefs;

public sealed record FeedbackRequest(bool? Useful, string? Note = null);

/// <summary>
/// A CSM's side of a brief (DESIGN.md: CSMs read, acknowledge and give feedback): acknowledge it, say whether it was
/// useful. Only on briefs a CSM gets (delivered or retracted) and may read; each reader's response is their own.
/// </summary>
public static class BriefResponsesApi
{
    public const int MaxNoteLength = 2000;

    public static IEndpointRouteBuilder MapBriefResponsesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/briefs").WithTags("Briefs");
        group.MapPost("/{id}/acknowledge", Acknowledge).WithName("AcknowledgeBrief").RequireRoles(Roles.Csm)
            .TakesNoBody("Feedback ({ useful, note }) goes to POST /v1/briefs/{id}/feedback.")
            .WithSummary("Marks the brief read by the caller (a repeat keeps the first time).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/feedback", Feedback).WithName("BriefFeedback").RequireRoles(Roles.Csm)
            .WithSummary("The caller's feedback: { \"useful\": true|false, \"note\": \"…\" }; acknowledges the brief too, replaces earlier feedback.")
            .Accepts<FeedbackRequest>("application/json")
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public static async Task<Results<Ok<Brief>, ProblemHttpResult>> Acknowledge(
        string id, BriefStore briefs, BriefDisclosure disclosure, BriefResponseStore responses, AccountAssignments accounts, HttpContext context)
    {
        var caller = Caller.From(context.User);
        if (Respondable(id, briefs, accounts, caller, out var brief) is { } refused)
            return refused;
        // The brief as the acknowledgement found it: one retracted meanwhile is answered retracted, its retraction acknowledged.
        var (current, response) = await responses.AcknowledgeAsync(brief, caller);
        return TypedResults.Ok(disclosure.AsSeenBy(current, caller) with { MyResponse = response });
    }

    public static async Task<Results<Ok<Brief>, ProblemHttpResult>> Feedback(
        string id, HttpRequest request, BriefStore briefs, BriefDisclosure disclosure, BriefResponseStore responses, AccountAssignments accounts, HttpContext context, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadAsync<FeedbackRequest>(request, 16 * 1024, cancellationToken);
        if (error is not null)
            return error;
        var errors = new Dictionary<string, string[]>();
        if (body?.Useful is null)
            errors["useful"] = ["useful is required: true if the brief helped, false if it did not."];
        if (body?.Note is { Length: > MaxNoteLength })
            errors["note"] = [$"note is at most {MaxNoteLength} characters."];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        var caller = Caller.From(context.User);
        if (Respondable(id, briefs, accounts, caller, out var brief) is { } refused)
            return refused;
        // Not the request's token: once the write is queued it is recorded whether or not the client stays to hear it.
        var note = string.IsNullOrWhiteSpace(body!.Note) ? null : body.Note;
        var (current, response) = await responses.FeedbackAsync(brief, caller, body.Useful!.Value, note);
        return TypedResults.Ok(disclosure.AsSeenBy(current, caller) with { MyResponse = response });
    }

    /// <summary>
    /// Null when the caller may respond to the brief. One they may not read is 404, as for GET (a CSM cannot probe other
    /// accounts); one CSMs never get (pending review, vetoed, shadow) is 409 for the callers who can see it.
    /// </summary>
    private static ProblemHttpResult? Respondable(string id, BriefStore briefs, AccountAssignments accounts, Caller caller, out Brief brief)
    {
        brief = briefs.Get(id)!;
        if (brief is null || !BriefStore.IsVisible(brief, caller, accounts))
            return Problems.NotFound($"No brief '{id}'.");
        return brief.Status is BriefStatus.Delivered or BriefStatus.Retracted ? null
            : Problems.Conflict($"Brief '{id}' is {BriefStore.StatusName(brief.Status)}: only delivered or retracted briefs, the ones CSMs get, take an acknowledgement or feedback.");
    }
}
