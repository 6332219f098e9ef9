using AgentCrm.Access;
using AgentCrm.Agents;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCrm.Briefs;

public sealed record VetoRequest(string? Reason, bool? CorrectLabel = null, string? Note = null);

public sealed record ApproveRequest(string? Note = null);

/// <summary>
/// Settings under <c>Reviews</c>: an agent version is suspended automatically when more than
/// <see cref="MaxVetoRate"/> of its latest <see cref="Window"/> decided briefs were vetoed or retracted, once it
/// has at least <see cref="MinBriefs"/> such briefs (<see cref="BriefStore.VetoRate"/>: held briefs are not counted).
/// </summary>
public sealed class ReviewOptions
{
    public const string Section = "Reviews";

    public double MaxVetoRate { get; set; } = 0.5;

    public int Window { get; set; } = 20;

    public int MinBriefs { get; set; } = 10;
}

/// <summary>The human veto (API.md, "Reviews"): the queue, veto and approve, for reviewers.</summary>
public static partial class ReviewsApi
{
    public const int MaxReasonLength = 2000;
    public const int MaxNoteLength = 4000;

    public static IEndpointRouteBuilder MapReviewsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/reviews", Queue).WithTags("Reviews").WithName("ReviewQueue").RequireRoles(Roles.Reviewer)
            .WithSummary("Briefs awaiting review and delivered briefs still inside their veto window, oldest first; "
                + "status=pendingReview or status=delivered for one of the two.")
            .ProducesValidationProblem();
        app.MapPost("/v1/briefs/{id}/veto", Veto).WithTags("Reviews").WithName("VetoBrief").RequireRoles(Roles.Reviewer)
            .Accepts<VetoRequest>("application/json")
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        app.MapPost("/v1/briefs/{id}/approve", Approve).WithTags("Reviews").WithName("ApproveBrief").RequireRoles(Roles.Reviewer)
            .Accepts<ApproveRequest>(isOptional: true, "application/json")
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    /// <summary>
    /// The queue, oldest first, keyset-paged by seq; <paramref name="status"/> narrows it to the briefs held for review
    /// (<c>pendingReview</c>, which wait on a reviewer) or the delivered ones still inside their veto window
    /// (<c>delivered</c>): held briefs sat behind pages of delivered ones. A cursor keeps its place under either filter.
    /// </summary>
    public static Results<Ok<BriefPage>, ProblemHttpResult> Queue(BriefStore store, BriefDisclosure disclosure, string? status, string? limit, string? cursor)
    {
        var errors = new Dictionary<string, string[]>();
        BriefStatus? only = status switch
        {
            null => null,
            "pendingReview" => BriefStatus.PendingReview,
            "delivered" => BriefStatus.Delivered,
            _ => null,
        };
        if (status is not null && only is null)
            errors["status"] = [$"Unknown status '{status}'; the queue holds pendingReview (held for review) and delivered (inside the veto window) briefs."];
        var (take, after) = Paging.Read(limit, cursor, Paging.Reviews, errors);
        return errors.Count > 0 ? Problems.Validation(errors) : TypedResults.Ok(disclosure.AsConsented(store.ReviewQueue(take, after, only)));
    }

    public static async Task<Results<Ok<Brief>, ProblemHttpResult>> Veto(
        string id, HttpRequest request, BriefStore store, BriefDisclosure disclosure, AutoSuspension suspension, HttpContext context, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadAsync<VetoRequest>(request, 64 * 1024, cancellationToken);
        if (error is not null)
            return error;
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(body?.Reason))
            errors["reason"] = ["reason is required: why the brief is wrong."];
        else if (body.Reason.Length > MaxReasonLength)
            errors["reason"] = [$"reason is at most {MaxReasonLength} characters."];
        if (body?.Note is { Length: > MaxNoteLength })
            errors["note"] = [$"note is at most {MaxNoteLength} characters."];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        return await ApplyAsync(id, new ReviewRequest(ReviewVerdict.Veto, Caller.From(context.User).AuditActor, body!.Reason, body.Note, body.CorrectLabel), store, disclosure, suspension);
    }

    public static async Task<Results<Ok<Brief>, ProblemHttpResult>> Approve(
        string id, HttpRequest request, BriefStore store, BriefDisclosure disclosure, AutoSuspension suspension, HttpContext context, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadAsync<ApproveRequest>(request, 64 * 1024, cancellationToken);
        if (error is not null)
            return error;
        if (body?.Note is { Length: > MaxNoteLength })
            return Problems.Validation(new Dictionary<string, string[]> { ["note"] = [$"note is at most {MaxNoteLength} characters."] });
        return await ApplyAsync(id, new ReviewRequest(ReviewVerdict.Approve, Caller.From(context.User).AuditActor, null, body?.Note, null), store, disclosure, suspension);
    }

    private static async Task<Results<Ok<Brief>, ProblemHttpResult>> ApplyAsync(
        string id, ReviewRequest request, BriefStore store, BriefDisclosure disclosure, AutoSuspension suspension)
    {
        // Not the request's token: a verdict is stored whether or not its client stays to hear it, and so the veto rate it
        // raises must be checked too (a client that went away used to leave the version running past its limit until the next veto).
        var outcome = await store.ReviewAsync(id, request);
        if (outcome.Brief is null)
            return Problems.NotFound($"No brief '{id}'.");
        if (outcome.Conflict is not null)
            return Problems.Conflict(outcome.Conflict);
        if (outcome.Changed && request.Verdict == ReviewVerdict.Veto)
            await suspension.CheckAsync(outcome.Brief.AgentId, outcome.Brief.AgentVersion, CancellationToken.None);
        return TypedResults.Ok(disclosure.AsConsented(outcome.Brief));
    }
}

/// <summary>Suspends an agent version whose veto rate crosses <see cref="ReviewOptions.MaxVetoRate"/>; the previous active version takes over.</summary>
public sealed partial class AutoSuspension(BriefStore briefs, AgentRegistry registry, IOptions<ReviewOptions> options, ILogger<AutoSuspension> logger)
{
    public async Task CheckAsync(string agentId, string version, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var (rate, count) = briefs.VetoRate(agentId, version, o.Window);
        if (count < o.MinBriefs || rate <= o.MaxVetoRate)
            return;
        try
        {
            if (registry.Find(agentId, version).State != AgentState.Active)
                return;
            var reason = $"veto rate {rate:0.00} over its latest {count} briefs exceeds {o.MaxVetoRate:0.00}";
            await registry.SuspendAsync(agentId, version, "system:auto-suspension", reason, cancellationToken);
            // Who serves now, whatever the suspension changed: the version it handed over to, a canary that took every customer,
            // or the primary a suspended canary leaves serving.
            var serving = registry.Versions(agentId).Where(v => v.State == AgentState.Active)
                .Select(v => v.CanaryPercent < 100 ? $"{v.Version} (canary, {v.CanaryPercent}%)" : v.Version).ToList();
            LogSuspended(agentId, version, reason, serving.Count == 0 ? "none" : string.Join(", ", serving));
        }
        catch (AgentNotFoundException)
        {
        }
        catch (AgentConflictException ex)
        {
            // Another process changed the agents each time the suspension was about to be written: the veto is stored, and the
            // next one checks the rate again.
            LogNotSuspended(agentId, version, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}@{Version} not suspended automatically this time: {Reason}")]
    private partial void LogNotSuspended(string agentId, string version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}@{Version} suspended automatically: {Reason}; now serving: {Fallback}")]
    private partial void LogSuspended(string agentId, string version, string reason, string fallback);
}

internal sealed class ReviewOptionsValidator : IValidateOptions<ReviewOptions>
{
    public ValidateOptionsResult Validate(string? name, ReviewOptions o)
    {
        var errors = new List<string>();
        if (o.MaxVetoRate is < 0 or > 1 || double.IsNaN(o.MaxVetoRate))
            errors.Add($"Reviews:MaxVetoRate must be between 0 and 1 (got {o.MaxVetoRate}).");
        if (o.Window < 1)
            errors.Add($"Reviews:Window must be at least 1 (got {o.Window}).");
        if (o.MinBriefs < 1 || o.MinBriefs > o.Window)
            errors.Add($"Reviews:MinBriefs must be between 1 and Reviews:Window (got {o.MinBriefs}).");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
