using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Server;

/// <summary>RFC 7807 answers with the field at fault under <c>errors</c>.</summary>
internal static class Problems
{
    /// <summary>The most fields one answer names: a manifest with 150,000 unknown parameters was answered 16.7 MB of errors.</summary>
    public const int MaxErrors = 100;

    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors, int status = StatusCodes.Status400BadRequest, string? detail = null)
    {
        var more = errors.Count - MaxErrors;
        var listed = more > 0 ? errors.Take(MaxErrors).ToDictionary() : errors;
        var problem = new HttpValidationProblemDetails(listed)
        {
            Status = status,
            Title = TitleFor(status),
            Detail = detail ?? string.Join(" ", listed.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")) + (more > 0 ? $" (and {more} more errors not listed)" : ""),
            Type = TypeFor(status),
        };
        if (more > 0)
            problem.Extensions["errorsNotListed"] = more;
        return TypedResults.Problem(problem);
    }

    /// <summary>
    /// 415 naming <c>Content-Type</c>: the one answer to a body of a type the endpoint does not read (JSON to an upload, a
    /// form to a JSON body, a type no reader takes), whether routing's <c>.Accepts</c> or the handler finds it.
    /// </summary>
    public static ProblemHttpResult UnsupportedType(string detail) =>
        Validation(new Dictionary<string, string[]> { [ContentTypeField] = [detail] }, StatusCodes.Status415UnsupportedMediaType, detail);

    /// <summary>The field a refused content type is named under.</summary>
    public const string ContentTypeField = "Content-Type";

    public static ProblemHttpResult TooLarge(string detail) =>
        Validation(new Dictionary<string, string[]> { ["$"] = [detail] }, StatusCodes.Status413PayloadTooLarge, detail);

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: TitleFor(404), type: TypeFor(404));

    public static ProblemHttpResult Conflict(string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: TitleFor(409), type: TypeFor(409), extensions: extensions);

    /// <summary>409 naming the field whose value conflicts with what is stored (a version that is taken), as a 400 names its field.</summary>
    public static ProblemHttpResult Conflict(string field, string detail) =>
        Validation(new Dictionary<string, string[]> { [field] = [detail] }, StatusCodes.Status409Conflict, detail);

    public static ProblemHttpResult Forbidden(string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: TitleFor(403), type: TypeFor(403), extensions: extensions);

    public static ProblemHttpResult Unavailable(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: TitleFor(503), type: TypeFor(503));

    /// <summary>
    /// Problems the framework writes (no route, wrong method or content type, an unhandled error) get a
    /// detail too, as API.md promises for every error; a refused content type names the body under errors.
    /// </summary>
    public static void FillDetail(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (!string.IsNullOrEmpty(problem.Detail))
            return;
        var request = context.HttpContext.Request;
        problem.Detail = problem.Status switch
        {
            StatusCodes.Status404NotFound => "No endpoint matches this path; see /openapi/v1.json.",
            StatusCodes.Status405MethodNotAllowed => $"This path does not accept {request.Method}; see /openapi/v1.json.",
            StatusCodes.Status415UnsupportedMediaType => $"This endpoint does not accept the content type '{Clip(request.ContentType ?? "(none)")}'; see /openapi/v1.json for the ones it does.",
            StatusCodes.Status500InternalServerError => "The server could not complete the request; it was logged under this traceId.",
            _ => problem.Title,
        };
        if (problem.Status == StatusCodes.Status415UnsupportedMediaType && !problem.Extensions.ContainsKey("errors"))
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [ContentTypeField] = [problem.Detail!] };
    }

    /// <summary>
    /// Every answer's title is its status's reason phrase (RFC 9110), as the framework titles the problems it writes
    /// ("Not Found", "Unsupported Media Type"): ours said "Not found", "Unsupported media type", "Invalid request".
    /// </summary>
    public static string TitleFor(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";

    /// <summary>
    /// <paramref name="text"/> as an error message quotes it: at most <paramref name="max"/> characters, then "…" (so a
    /// megabyte of input does not come back in its own refusal).
    /// </summary>
    public static string Clip(string text, int max = 100) => text.Length <= max ? text : text[..max] + "…";

    private static string TypeFor(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        403 => "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        409 => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        415 => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        503 => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        _ => "about:blank",
    };
}
