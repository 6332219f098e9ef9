using AgentCrm.Access;
using AgentCrm.Agents;
using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AgentCrm.Knowledge;

/// <summary>Knowledge over HTTP: ingest (raw or multipart), list, get, delete, search with citations. Changes are audited.</summary>
public static class KnowledgeApi
{
    /// <summary>What a multipart upload may carry beside the document: boundaries, part headers and the id, title and tags fields.</summary>
    private const long FormAllowance = 64 * 1024;

    public static RouteGroupBuilder MapKnowledgeApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/knowledge").WithTags("Knowledge");
        group.MapPost("/documents", Ingest).WithName("IngestDocument").DisableAntiforgery().RequireRoles(Roles.Ops)
            .WithSummary("Markdown, HTML or plain text: raw body (Content-Type text/markdown, text/html, text/plain) or multipart `file`; `id`, `title`, `tags` (comma-separated), `scenario` as query or form fields. Without `id`: from the file name (the multipart part's, or a raw body's Content-Disposition filename), else from the title. The same id and content with other metadata: 200 `metadataUpdated`, nothing embedded again.")
            .DescribesBody<string>("text/markdown", "text/x-markdown", "text/html", "application/xhtml+xml", "text/plain")
            .DescribesBody<KnowledgeDocumentForm>("multipart/form-data")
            .DescribesQuery("id", "The document's id (a raw body's only way to give one besides Content-Disposition's filename); a multipart upload may send it as a form field instead.")
            .DescribesQuery("title", "The document's title; a multipart upload may send it as a form field instead.")
            .DescribesQuery("tags", "Comma-separated tags; a multipart upload may send them as a form field instead.")
            .DescribesQuery("scenario", "The scenario the document serves (its passages are cited for that scenario's briefs); a multipart upload may send it as a form field instead.")
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapGet("/documents", (KnowledgeService knowledge, string? limit, string? cursor) => NamedPage.Of(knowledge.ListDocuments(), d => d.Id, limit, cursor, NamedPage.Documents))
            .WithName("ListDocuments").RequireRoles(Roles.Ops).ProducesValidationProblem();
        group.MapGet("/documents/{id}", Get).WithName("GetDocument").RequireRoles(Roles.Ops)
            .WithSummary("One document: its metadata and its sections in reading order, each with its heading path and chunk ids (positional: a replaced document that gained a section numbers later chunks anew).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/documents/{id}", Delete).WithName("DeleteDocument").RequireRoles(Roles.Ops).TakesNoBody("The document deleted is the one in the path.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/search", Search).WithName("SearchKnowledge").RequireRoles(Roles.Ops, Roles.Csm, Roles.Reviewer)
            .DescribesQuery("q", "The search text (required: 400 naming q without it).", required: true)
            .ProducesValidationProblem();
        return group;
    }

    // Sent empty, tags and scenario clear what the document has (`tags=`, `scenario=`), in the query string as in a form.
    [QueryParameters("id", "title", "tags", "scenario", MayBeEmpty = ["tags", "scenario"])]
    internal static async Task<Results<Created<IngestResult>, Ok<IngestResult>, ProblemHttpResult>> Ingest(
        HttpRequest request, KnowledgeService knowledge, KnowledgeAudit audit, KnowledgeAuditRecovery recovery, IOptions<KnowledgeOptions> options, CancellationToken cancellationToken)
    {
        string? id = request.Query["id"], title = request.Query["title"], tags = request.Query["tags"], scenario = request.Query["scenario"];
        // The document limit bounds the body read, so an oversized document is a 413 before the rest of it arrives.
        var limit = options.Value.MaxDocumentBytes;
        var tooLarge = $"A document is at most {limit} bytes (Knowledge:MaxDocumentBytes).";
        byte[] content;
        string typeHint;
        if (RequestBody.IsMultipart(request))
        {
            if (request.ContentLength > limit + FormAllowance)
                return Problems.TooLarge(tooLarge);
            var (form, error) = await RequestBody.ReadFormAsync(request, limit + FormAllowance, cancellationToken);
            if (form is null)
                return error!;
            var partErrors = new Dictionary<string, string[]>();
            RequestBody.RefuseBadParts(form, ["file", "id", "title", "tags", "scenario"],
                "a document upload is `file` with the fields `id`, `title`, `tags` and `scenario`", partErrors, textFields: ["id", "title", "tags", "scenario"], fileParts: ["file"]);
            // A field in the form and in the query string too: neither wins unsaid (the query's id would replace another document).
            foreach (var field in (string[])["id", "title", "tags", "scenario"])
                if (request.Query.ContainsKey(field) && form.ContainsKey(field))
                    partErrors[field] = [$"`{field}` is given in both the query string and the form; give it once."];
            // One sent as a text field (curl's -F "file=<x.md") was told so above, not that it is missing.
            if (form.Files["file"] is null && !form.ContainsKey("file"))
                partErrors["file"] = ["`file` is required in a multipart upload."];
            if (partErrors.Count > 0)
                return Problems.Validation(partErrors);
            var file = form.Files["file"]!;
            if (file.Length > limit)
                return Problems.TooLarge(tooLarge);
            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer, cancellationToken);
            content = buffer.ToArray();
            typeHint = Path.GetExtension(file.FileName) is { Length: > 0 } ext ? ext : file.ContentType;
            // An id derived from the file name is normalised (README.md → readme); one given is taken as is, or refused below.
            id ??= form["id"].FirstOrDefault() ?? DocumentIds.FromFileName(file.FileName);
            title ??= form["title"].FirstOrDefault();
            tags ??= form["tags"].FirstOrDefault();
            scenario ??= form["scenario"].FirstOrDefault();
        }
        else
        {
            // A raw body of a type no reader takes (application/json, application/pdf…) is the request's media type at fault:
            // 415 naming Content-Type, as every other endpoint answers one, before its bytes are read.
            try
            {
                DocumentTypes.Parse(request.ContentType ?? "");
            }
            catch (KnowledgeInputException ex)
            {
                // curl -d / --data-binary @file.md sends application/x-www-form-urlencoded unless told otherwise: say what to send.
                var hint = request.HasFormContentType ? " (curl -d and --data-binary send application/x-www-form-urlencoded unless given -H 'Content-Type: text/markdown')" : "";
                return Problems.Validation(new Dictionary<string, string[]> { ["Content-Type"] = [ex.Message + " Or send multipart/form-data with a `file`." + hint] },
                    StatusCodes.Status415UnsupportedMediaType, ex.Message);
            }
            if (await RequestBody.ReadAsync(request, limit, cancellationToken) is not { } body)
                return Problems.TooLarge(tooLarge);
            content = body.ToArray();
            typeHint = request.ContentType ?? "";
            // A raw body that names its file (Content-Disposition: attachment; filename=…) gets the id the CLI gives that file.
            if (ContentDispositionHeaderValue.TryParse(request.Headers.ContentDisposition.ToString(), out var disposition)
                && (disposition.FileNameStar.Value ?? disposition.FileName.Value) is { Length: > 0 } fileName)
                id ??= DocumentIds.FromFileName(HeaderUtilities.RemoveQuotes(fileName).ToString());
        }
        var errors = DocumentRules.Problems(string.IsNullOrWhiteSpace(title) ? null : title.Trim(), DocumentRules.NormaliseTags(SearchRules.SplitTags(tags)), string.IsNullOrWhiteSpace(scenario) ? null : scenario.Trim());
        if (id is not null && DocumentIds.Problem(id) is { } idProblem)
            errors["id"] = [idProblem];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        try
        {
            var type = DocumentTypes.Parse(typeHint);
            // Held from the store to the record: the audit's reconciliation leaves this change to its caller.
            using var changing = await audit.ChangingAsync(cancellationToken);
            var actor = Caller.From(request.HttpContext.User).AuditActor;
            // Tags or scenario not sent keep what a re-uploaded document has; sent empty (`tags=`), they clear it. The record is
            // appended before the change is let go: one that fails (a full disk) undoes the change, and the 503 stores nothing.
            var result = await Recorded(recovery, () => knowledge.IngestAsync(content, type, id, title, tags is null ? null : SearchRules.SplitTags(tags) ?? [], scenario,
                record: r => audit.IngestedAsync(actor, [r]), cancellationToken: cancellationToken));
            return result.Status == IngestStatus.Created
                ? TypedResults.Created($"/v1/knowledge/documents/{result.DocumentId}", result)
                : TypedResults.Ok(result);
        }
        catch (KnowledgeInputException ex)
        {
            return Problems.Validation(new Dictionary<string, string[]> { [RequestBody.IsMultipart(request) ? "file" : "$"] = [ex.Message] });
        }
    }

    public static Results<Ok<KnowledgeDocumentDetails>, ProblemHttpResult> Get(string id, KnowledgeService knowledge) =>
        knowledge.GetDocument(id) is { } document ? TypedResults.Ok(document) : Problems.NotFound($"No knowledge document '{id}'.");

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, HttpContext context, KnowledgeService knowledge, KnowledgeAudit audit, KnowledgeAuditRecovery recovery, CancellationToken cancellationToken)
    {
        using var changing = await audit.ChangingAsync(cancellationToken);
        var actor = Caller.From(context.User).AuditActor;
        // As an ingest: a record that cannot be appended puts the document back.
        if (await Recorded(recovery, () => knowledge.DeleteDocumentAsync(id, d => audit.DeletedAsync(actor, d), cancellationToken)) is null)
            return Problems.NotFound($"No knowledge document '{id}'.");
        return TypedResults.NoContent();
    }

    /// <summary>
    /// A change whose record failed and which could not be undone either (both disks full) is stored without its record: the
    /// running server's reconciliation is owed, and appends it (system:recovered) once the audit log can be written again.
    /// </summary>
    private static async Task<T> Recorded<T>(KnowledgeAuditRecovery recovery, Func<Task<T>> change)
    {
        try
        {
            return await change();
        }
        catch (KnowledgeChangeNotUndoneException)
        {
            recovery.Due();
            throw;
        }
    }

    public static async Task<Results<Ok<ItemsPage<KnowledgeHit>>, ProblemHttpResult>> Search(KnowledgeService knowledge, string? q, string? k, string? tags, string? documentId, string? scenario, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var take = SearchRules.Read(q, k, errors);
        var filter = SearchRules.ReadFilter(tags, documentId, scenario, errors);
        if (errors.Count > 0)
            return Problems.Validation(errors);
        return TypedResults.Ok(new ItemsPage<KnowledgeHit>(await knowledge.SearchAsync(q!, take, filter, cancellationToken: cancellationToken), null));
    }
}
