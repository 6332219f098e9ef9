using System.Globalization;
using AgentCrm.Access;
using AgentCrm.Agents;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Sandbox;

/// <summary>Sandbox jobs over HTTP (evaluations and fits, started by the sandbox and agents endpoints): read, list, cancel.</summary>
public static class JobsApi
{
    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/jobs").WithTags("Sandbox");
        group.MapGet("/{jobId}", (string jobId, SandboxJobs jobs) => jobs.Get(jobId) is { } job
            ? (Results<Ok<JobStatus>, ProblemHttpResult>)TypedResults.Ok(job)
            : Problems.NotFound($"No job '{jobId}'.")).WithName("GetJob").RequireRoles(Roles.Ops, Roles.Csm, Roles.Reviewer)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("", ListJobs).WithName("ListJobs").RequireRoles(Roles.Ops).ProducesValidationProblem()
            .WithSummary("Jobs, newest first: `state` (running, succeeded, failed, interrupted, cancelled), `kind` (evaluate, fit), `agent`; `limit` and `cursor`.");
        group.MapDelete("/{jobId}", CancelJob).WithName("CancelJob").RequireRoles(Roles.Ops).TakesNoBody()
            .WithSummary("Cancels a running job: 200 with it `cancelled` once stopped (no report, no version, not resumed), 202 while still stopping; an ended job → 409.")
            .Produces<JobStatus>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound).Produces<JobStateProblem>(StatusCodes.Status409Conflict, OpenApiDescriptions.ProblemJson)
            .AlsoAnswers(StatusCodes.Status409Conflict, "The job has ended, or is already being stopped: its state under state.");
        return app;
    }

    /// <summary>How long a cancel waits for the job to stop before answering 202 (it still stops).</summary>
    public static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(10);

    private const string JobCursor = "j:";

    public static Results<Ok<ItemsPage<JobStatus>>, ProblemHttpResult> ListJobs(SandboxJobs jobs, [OpenApiValues(typeof(SandboxJobs), nameof(SandboxJobs.States))] string? state,
        [OpenApiValues(typeof(SandboxJobs), nameof(SandboxJobs.Kinds))] string? kind, string? agent, string? limit, string? cursor)
    {
        var errors = new Dictionary<string, string[]>();
        if (state is not null && !SandboxJobs.States.Contains(state, StringComparer.Ordinal))
            errors["state"] = [$"state is one of {string.Join(", ", SandboxJobs.States)}."];
        if (kind is not null && !SandboxJobs.Kinds.Contains(kind, StringComparer.Ordinal))
            errors["kind"] = [$"kind is one of {string.Join(", ", SandboxJobs.Kinds)}."];
        // A filter no agent can match is a mistake, not a question with an empty answer (as `state` and `kind`).
        if (agent is not null && !ManifestReader.IsValidId(agent))
            errors["agent"] = [$"agent '{Problems.Clip(agent, 80)}' is no agent id: {ManifestReader.IdRule}."];
        var take = Paging.Limit(limit, errors);
        (string, string)? after = null;
        if (cursor is not null)
        {
            // The position is the last job's created-at, as stored (round-trip form), and its id: any other text is no cursor
            // this server issued (an "x" would compare after every timestamp and read as the first page).
            if (Paging.TryDecodeCursor(cursor, JobCursor, out var position) && position.Split('|') is [{ Length: > 0 } at, { Length: > 0 } id]
                && DateTimeOffset.TryParseExact(at, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var created) && created.ToString("O") == at)
                after = (at, id);
            else
                errors["cursor"] = ["cursor is not one this server issued."];
        }
        if (errors.Count > 0)
            return Problems.Validation(errors);
        var (items, next) = jobs.List(state, kind, agent, take, after);
        return TypedResults.Ok(new ItemsPage<JobStatus>(items, next is { } n ? Paging.EncodeCursor(JobCursor, $"{n.CreatedAt}|{n.Id}") : null));
    }

    /// <summary>Cancels a running job (ops): 200 cancelled, 202 still stopping, 409 ended, 404 unknown.</summary>
    public static async Task<Results<Ok<JobStatus>, Accepted<JobStatus>, ProblemHttpResult>> CancelJob(string jobId, SandboxJobs jobs, HttpContext context)
    {
        var caller = Caller.From(context.User);
        var (outcome, job) = await jobs.CancelAsync(jobId, $"cancelled by {caller.Name}", caller.AuditActor, CancelWait);
        return outcome switch
        {
            CancelOutcome.Cancelled => TypedResults.Ok(job!),
            CancelOutcome.Stopping => TypedResults.Accepted($"/v1/jobs/{jobId}", job!),
            CancelOutcome.Ended when job!.State == "running" => Problems.Conflict($"Job '{jobId}' is already being {job.Error ?? "cancelled"}; it stops shortly.",
                new Dictionary<string, object?> { ["state"] = job.State }),
            CancelOutcome.Ended => Problems.Conflict($"Job '{jobId}' has ended ({job!.State}{(job.Error is { } why ? $": {why}" : "")}); only a running job can be cancelled.",
                new Dictionary<string, object?> { ["state"] = job.State }),
            _ => Problems.NotFound($"No job '{jobId}'."),
        };
    }
}
