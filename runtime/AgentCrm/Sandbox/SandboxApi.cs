using AgentCrm.Access;
using AgentCrm.Agents;
using AgentCrm.Customers;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Reports;
using AgentCrm.Server;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AgentCrm.Sandbox;

public sealed record EvaluateRequest(string? CaseSet);

/// <summary>POST /v1/agents/fit: a trainable kind and a registered case set; the rest as `agentcrm agents fit` (span supervision is CLI-only: it reads a file).</summary>
public sealed record FitHttpRequest(string? Kind, string? CaseSet, string? Version = null, int? Seed = null, string[]? Categories = null, bool? CrossValidate = null);

/// <summary>The sandbox over HTTP: case sets, evaluation jobs, reports, and the lifecycle actions around the gate.</summary>
public static class SandboxApi
{
    public static IEndpointRouteBuilder MapSandboxApi(this IEndpointRouteBuilder app)
    {
        var agents = app.MapGroup("/v1/agents").WithTags("Agents");
        agents.MapPost("/{id}/versions/{version}/evaluate", Evaluate).WithName("EvaluateAgentVersion").DisableAntiforgery().RequireRoles(Roles.Ops)
            .WithSummary("JSON `{ \"caseSet\": NAME }`, or multipart/form-data: `cases` + `mapping` (tabular CSV and YAML mapping) or `cases` + `labels` (NDJSON timeline and labels CSV), stored as case set `upload:<hash prefix>`.")
            .DescribesBody<EvaluateRequest>("application/json").DescribesBody<CaseUploadForm>("multipart/form-data")
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        agents.MapPost("/fit", Fit).WithName("FitAgent").RequireRoles(Roles.Ops)
            .WithSummary("`{ \"kind\": KIND, \"caseSet\": NAME }` (optional `version`, `seed`, and for compliance-check on clause cases `categories`, `crossValidate`) → 202 with a job whose subject names the new version; done, the version is registered and its report is on the held-out part.")
            .Accepts<FitHttpRequest>("application/json")
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status409Conflict);
        // The JSON is the report with its id added (a JsonObject to the handler); documented as the report.
        agents.MapGet("/{id}/versions/{version}/reports/latest", LatestReport).WithName("GetLatestReport").RequireRoles(Roles.Ops, Roles.Csm, Roles.Reviewer)
            .Produces<string>(StatusCodes.Status200OK, "text/html").Produces<SandboxReport>(StatusCodes.Status200OK, "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The version's newest sandbox report: JSON with its `id`, or the self-contained HTML report when `Accept` prefers text/html.");
        app.MapGet("/v1/reports/{reportId}", Report).WithTags("Sandbox").WithName("GetReport").RequireRoles(Roles.Ops, Roles.Csm, Roles.Reviewer)
            .Produces<string>(StatusCodes.Status200OK, "text/html").Produces<SandboxReport>(StatusCodes.Status200OK, "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("A sandbox report by id (a job's `reportId`): JSON, or the self-contained HTML report when `Accept` prefers text/html.");
        agents.MapPost("/{id}/versions/{version}/shadow", Shadow).WithName("ShadowAgentVersion").RequireRoles(Roles.Ops)
            .TakesNoBody("The version to shadow is the one in the path.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        agents.MapPost("/{id}/rollback", Rollback).WithName("RollbackAgent").RequireRoles(Roles.Ops)
            .TakesNoBody("Rollback re-activates the version that was active before; to choose a version, promote it.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        agents.MapGet("/{id}/health", Health).WithName("GetAgentHealth").RequireRoles(Roles.Ops, Roles.Csm, Roles.Reviewer)
            .ProducesProblem(StatusCodes.Status404NotFound);
        var cases = app.MapGroup("/v1/cases").WithTags("Sandbox");
        cases.MapGet("/", (CaseSetStore store, string? limit, string? cursor) => NamedPage.Of(store.List(), s => s.Name, limit, cursor, NamedPage.CaseSets))
            .WithName("ListCaseSets").RequireRoles(Roles.Ops, Roles.Reviewer).ProducesValidationProblem();
        // The address a 201 names: the set's summary, as GET /v1/cases lists it (shipped, uploaded and feedback sets alike).
        cases.MapGet("/{name}", (string name, CaseSetStore store) => store.List().FirstOrDefault(s => s.Name == name) is { } set
                ? (Results<Ok<CaseSetInfo>, ProblemHttpResult>)TypedResults.Ok(set)
                : Problems.NotFound($"No case set '{Problems.Clip(name, 80)}' is registered (GET /v1/cases lists them)."))
            .WithName("GetCaseSet").RequireRoles(Roles.Ops, Roles.Reviewer).ProducesProblem(StatusCodes.Status404NotFound);
        cases.MapPost("/{name}", AddCaseSet).WithName("AddCaseSet").DisableAntiforgery().RequireRoles(Roles.Ops)
            .WithSummary("multipart/form-data: `file` + `mapping` (tabular CSV and YAML mapping) or `events` + `labels` (NDJSON timeline and labels CSV).")
            .DescribesBody<CaseUploadForm>("multipart/form-data")
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status409Conflict);
        cases.MapDelete("/{name}", RemoveCaseSet).WithName("RemoveCaseSet").RequireRoles(Roles.Ops).TakesNoBody("Reports made on the set are always kept.")
            .WithSummary("Removes a stored case set (e.g. an uploaded `upload:…` file); shipped and `feedback:` sets → 409. Reports made on it keep its name and hash.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public static async Task<Results<Accepted<JobStatus>, ProblemHttpResult>> Evaluate(
        string id, string version, HttpRequest request, AgentRegistry registry, CaseSetStore caseSets, SandboxJobs jobs, HttpContext context, CancellationToken cancellationToken)
    {
        if (RequestBody.IsMultipart(request))
            return await EvaluateUploadAsync(id, version, request, registry, caseSets, jobs, context, cancellationToken);
        if (request.HasFormContentType)
            return Problems.UnsupportedType($"This endpoint reads application/json ({{ \"caseSet\": NAME }}) or multipart/form-data with {CaseUploads.Forms("cases")}, not '{Problems.Clip(request.ContentType ?? "(none)", 60)}'.");
        var (body, error) = await JsonBody.ReadAsync<EvaluateRequest>(request, 64 * 1024, cancellationToken);
        if (error is not null)
            return error;
        if (string.IsNullOrWhiteSpace(body?.CaseSet))
            return Problems.Validation(new Dictionary<string, string[]> { ["caseSet"] = ["caseSet is required: the name of a registered case set (GET /v1/cases)."] });
        AgentVersionRecord record;
        try
        {
            record = registry.Find(id, version);
        }
        catch (AgentNotFoundException ex)
        {
            return Problems.NotFound(ex.Message);
        }
        if (await UnregisteredAsync(registry, id, cancellationToken) is { } unregistered)
            return unregistered;
        if (caseSets.LoadToRun(body.CaseSet, out var problem) is not { } set)
            return Problems.Validation(new Dictionary<string, string[]> { ["caseSet"] = [problem] });
        if (CaseSetScenario.Mismatch(record.Manifest, set) is { } mismatch)
            return Problems.Validation(new Dictionary<string, string[]> { ["caseSet"] = [mismatch] });
        var job = await jobs.StartEvaluateAsync(id, version, body.CaseSet, Caller.From(context.User).AuditActor);
        return TypedResults.Accepted($"/v1/jobs/{job.Id}", job);
    }

    /// <summary>Fits a trainable kind on a case set as a job; everything a fit can be refused for is answered here, before it starts.</summary>
    public static async Task<Results<Accepted<JobStatus>, ProblemHttpResult>> Fit(HttpRequest request, AgentFitter fitter, SandboxJobs jobs, HttpContext context, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadAsync<FitHttpRequest>(request, 64 * 1024, cancellationToken);
        if (error is not null)
            return error;
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(body?.Kind))
            errors["kind"] = [$"kind is required: a trainable kind ({string.Join(", ", AgentFitter.TrainableKinds)})."];
        if (string.IsNullOrWhiteSpace(body?.CaseSet))
            errors["caseSet"] = ["caseSet is required: the name of a registered case set (GET /v1/cases)."];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        PreparedFit fit;
        try
        {
            fit = fitter.Prepare(new FitRequest(body!.Kind!, body.CaseSet!)
            {
                Version = body.Version,
                Seed = body.Seed ?? Fitting.FitOptions.DefaultSeed,
                Categories = body.Categories ?? [],
                CrossValidate = body.CrossValidate ?? false,
            });
        }
        catch (FitRequestException ex) when (ex.Conflict)
        {
            return Problems.Conflict(ex.Property, ex.Message);
        }
        catch (FitRequestException ex)
        {
            return Problems.Validation(new Dictionary<string, string[]> { [ex.Property] = [ex.Message] });
        }
        var job = await jobs.StartFitAsync(fit, Caller.From(context.User).AuditActor);
        return TypedResults.Accepted($"/v1/jobs/{job.Id}", job);
    }

    /// <summary>409 for a version of an agent ops unregistered (nothing registered since): no evaluation of it can serve anything.</summary>
    private static async Task<ProblemHttpResult?> UnregisteredAsync(AgentRegistry registry, string id, CancellationToken cancellationToken)
    {
        try
        {
            await registry.EnsureNotUnregisteredAsync(id, cancellationToken);
            return null;
        }
        catch (AgentConflictException ex)
        {
            return Problems.Conflict(ex.Message);
        }
    }

    /// <summary>Evaluates on an uploaded case file, stored durably under its content name (<c>upload:…</c>) like a named set.</summary>
    private static async Task<Results<Accepted<JobStatus>, ProblemHttpResult>> EvaluateUploadAsync(
        string id, string version, HttpRequest request, AgentRegistry registry, CaseSetStore caseSets, SandboxJobs jobs, HttpContext context, CancellationToken cancellationToken)
    {
        var (upload, error) = await CaseUploads.ReadAsync(request, "cases", [], caseSets.MaxBytes, cancellationToken);
        if (upload is null)
            return error!;
        AgentVersionRecord record;
        try
        {
            record = registry.Find(id, version);
        }
        catch (AgentNotFoundException ex)
        {
            return Problems.NotFound(ex.Message);
        }
        if (await UnregisteredAsync(registry, id, cancellationToken) is { } unregistered)
            return unregistered;
        CaseSetInfo set;
        try
        {
            set = await upload.AddUploadAsync(caseSets, record.Manifest, Caller.From(request.HttpContext.User).AuditActor, cancellationToken);
        }
        catch (CaseSetScenarioException ex)
        {
            // The scenario is the mapping's (timelines declare none).
            return Problems.Validation(new Dictionary<string, string[]> { [upload.AuxPart] = [ex.Message] }, detail: $"{upload.AuxPart}: {ex.Message} Nothing was stored.");
        }
        catch (CaseSetException ex)
        {
            return upload.Invalid(ex);
        }
        catch (CaseSetConflictException ex)
        {
            return Problems.Conflict(ex.Message);
        }
        var job = await jobs.StartEvaluateAsync(id, version, set.Name, Caller.From(context.User).AuditActor);
        return TypedResults.Accepted($"/v1/jobs/{job.Id}", job);
    }

    public static Results<ContentHttpResult, Ok<JsonObject>, ProblemHttpResult> LatestReport(
        string id, string version, HttpContext context, ReportStore reports, IOptions<JsonOptions> json) =>
        reports.LatestStored(id, version) is { } stored
            ? Represent(stored, context, json.Value)
            : Problems.NotFound($"{id}@{version} has no sandbox report yet (POST …/evaluate).");

    /// <summary>The report a job names (<c>GET /v1/jobs/{jobId}</c> → <c>reportId</c>), in the same forms as <c>reports/latest</c>.</summary>
    public static Results<ContentHttpResult, Ok<JsonObject>, ProblemHttpResult> Report(string reportId, HttpContext context, ReportStore reports, IOptions<JsonOptions> json) =>
        reports.GetStored(reportId) is { } stored
            ? Represent(stored, context, json.Value)
            : Problems.NotFound($"No sandbox report '{reportId}'.");

    /// <summary>
    /// JSON (the report with its <c>id</c> first) unless the caller prefers HTML: its <c>Accept</c> gives text/html a
    /// higher quality than JSON, the most specific range deciding each (RFC 9110 §12.5.1), so <c>text/html;q=0</c> or
    /// <c>application/json, text/html;q=0.5</c> get JSON and a browser's <c>text/html, …, */*;q=0.8</c> gets HTML.
    /// </summary>
    private static Results<ContentHttpResult, Ok<JsonObject>, ProblemHttpResult> Represent(StoredReport stored, HttpContext context, JsonOptions json)
    {
        context.Response.Headers.Vary = "Accept";
        if (PrefersHtml(context.Request))
            return TypedResults.Content(HtmlReport.Render(stored.Report), "text/html; charset=utf-8");
        var body = SandboxReportJson.ToObject(stored.Report, json.SerializerOptions);
        body.Insert(0, "id", stored.Id);
        return TypedResults.Ok(body);
    }

    private static bool PrefersHtml(HttpRequest request)
    {
        // An Accept that does not parse gets the default, JSON.
        if (request.Headers.Accept.Count == 0 || !MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var ranges))
            return false;
        var html = Quality(ranges, "text", "html");
        return html > 0 && html > Quality(ranges, "application", "json");
    }

    /// <summary>The quality the most specific matching range gives <paramref name="type"/>/<paramref name="subtype"/>; 0 when none matches.</summary>
    private static double Quality(IList<MediaTypeHeaderValue> ranges, string type, string subtype)
    {
        var best = (Specificity: -1, Quality: 0.0);
        foreach (var range in ranges)
        {
            var specificity = range.MediaType.Equals($"{type}/{subtype}", StringComparison.OrdinalIgnoreCase) ? 2
                : range.MediaType.Equals($"{type}/*", StringComparison.OrdinalIgnoreCase) ? 1
                : range.MediaType.Equals("*/*", StringComparison.Ordinal) ? 0
                : -1;
            var quality = range.Quality ?? 1.0;
            if (specificity > best.Specificity || (specificity == best.Specificity && specificity >= 0 && quality > best.Quality))
                best = (specificity, quality);
        }
        return best.Quality;
    }

    public static async Task<Results<Ok<AgentVersionDto>, ProblemHttpResult>> Shadow(string id, string version, Lifecycle lifecycle, HttpContext context, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(AgentsApi.Summary(await lifecycle.ShadowAsync(id, version, Caller.From(context.User).AuditActor, cancellationToken)));
        }
        catch (AgentNotFoundException ex)
        {
            return Problems.NotFound(ex.Message);
        }
        catch (AgentConflictException ex)
        {
            return Problems.Conflict(ex.Message);
        }
    }

    public static async Task<Results<Ok<AgentVersionDto>, ProblemHttpResult>> Rollback(string id, Lifecycle lifecycle, HttpContext context, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(AgentsApi.Summary(await lifecycle.RollbackAsync(id, Caller.From(context.User).AuditActor, cancellationToken)));
        }
        catch (AgentNotFoundException ex)
        {
            return Problems.NotFound(ex.Message);
        }
        catch (AgentConflictException ex)
        {
            return Problems.Conflict(ex.Message);
        }
    }

    /// <summary>Brief and response counts from <see cref="Briefs.BriefCounters"/>: a few rows a version, whatever the history.</summary>
    public static Results<Ok<AgentHealth>, ProblemHttpResult> Health(string id, AgentRegistry registry, RuntimeMetrics metrics, Storage.SqliteDatabase database)
    {
        var versions = registry.Versions(id);
        if (versions.Count == 0)
            return Problems.NotFound($"No agent '{id}' is registered.");
        var counts = Briefs.BriefCounters.Read(database, id);
        return TypedResults.Ok(new AgentHealth(id, versions.Select(v =>
        {
            var c = metrics.Read(v.AgentId, v.Version);
            // One snapshot: each figure below is computed from the same reads (the live counters gave agreement 1.0049).
            var runs = c.Runs;
            var (b, r) = counts.GetValueOrDefault(v.Version, (new Briefs.BriefCounts(), new Briefs.ResponseCounts()));
            var latency = c.Latency.Count == 0 ? null : new AssessLatency(
                Math.Round(c.Latency.Percentile(50), 3), Math.Round(c.Latency.Percentile(95), 3), Math.Round(c.Latency.Percentile(99), 3), c.Latency.Count);
            return new VersionHealth(v.Version, AgentRegistry.Name(v.State), v.CanaryPercent, c.Evaluations, c.Fired, c.Errors,
                runs == 0 ? 1 : Math.Round((double)c.Evaluations / runs, 4), b.Total,
                c.ShadowRuns == 0 ? null : new ShadowAgreement(c.BothFired, c.OnlyShadowFired, c.OnlyActiveFired, c.NeitherFired,
                    c.AgreementRate, c.WithoutBaseline))
            {
                BlockedByConsent = c.ConsentBlocked,
                AssessLatencyMs = latency,
                BriefStates = b,
                VetoRate = b.Reviewable == 0 ? null : Math.Round((double)(b.Vetoed + b.Retracted) / b.Reviewable, 4),
                ApprovalRate = b.Reviewable == 0 ? null : Math.Round((double)b.Approved / b.Reviewable, 4),
                Explainability = b.Reviewable == 0 ? null : Math.Round((double)b.Explained / b.Reviewable, 4),
                DegradedBriefs = c.Degraded,
                CitationFailures = c.CitationFailures,
                CsmResponses = r,
                UsefulRate = r.Useful + r.NotUseful == 0 ? null : Math.Round((double)r.Useful / (r.Useful + r.NotUseful), 4),
            };
        }).ToList()) { CountersSince = metrics.Since });
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveCaseSet(string name, CaseSetStore store, HttpContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await store.RemoveAsync(name, cancellationToken, Access.Caller.From(context.User).AuditActor) ? TypedResults.NoContent() : Problems.NotFound($"No case set '{name}' is registered.");
        }
        catch (CaseSetProtectedException ex)
        {
            return Problems.Conflict(ex.Message);
        }
    }

    /// <summary>201 with the new set; 200 when the name already holds this content; 409 naming <c>name</c> when it holds another.</summary>
    public static async Task<Results<Created<CaseSetInfo>, Ok<CaseSetInfo>, ProblemHttpResult>> AddCaseSet(string name, HttpRequest request, CaseSetStore store, HttpContext context, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (CaseSetStore.NameProblem(name) is { } nameProblem)
            errors["name"] = [$"'{Problems.Clip(name, 80)}' is not a case set name you can register: {nameProblem}."];
        var (upload, error) = await CaseUploads.ReadAsync(request, "file", errors, store.MaxBytes, cancellationToken);
        if (upload is null)
            return error!;
        try
        {
            var added = await upload.AddAsync(store, name, Access.Caller.From(context.User).AuditActor, cancellationToken);
            return added.Unchanged ? TypedResults.Ok(added.Set) : TypedResults.Created($"/v1/cases/{name}", added.Set);
        }
        catch (CaseSetConflictException ex)
        {
            return Problems.Conflict(ex.Message, new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["name"] = [ex.Message] } });
        }
        catch (CaseSetException ex) when (ex.File == name)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["name"] = [ex.Problem] });
        }
        catch (CaseSetException ex)
        {
            return upload.Invalid(ex);
        }
    }
}
