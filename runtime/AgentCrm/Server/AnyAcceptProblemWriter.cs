using System.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace AgentCrm.Server;

/// <summary>
/// Writes a problem the framework's own writer declines: that one writes only for clients whose <c>Accept</c> takes JSON, so
/// an unhandled error asked for with <c>Accept: text/html</c> (a browser) answered a 500 with an empty body, and a missing
/// route plain text. Every error is ProblemDetails (API.md), so this writer, registered after the framework's, takes any
/// <c>Accept</c>, with the same defaults (title, type, <c>traceId</c>) and the same customisation.
/// </summary>
internal sealed class AnyAcceptProblemWriter(IOptions<ProblemDetailsOptions> options, IOptions<JsonOptions> json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var problem = context.ProblemDetails;
        problem.Status ??= http.Response.StatusCode;
        problem.Title ??= ReasonPhrases.GetReasonPhrase(problem.Status.Value);
        problem.Type ??= Problems.TypeFor(problem.Status.Value);
        // As the framework's writer: the id the request is logged under.
        problem.Extensions.TryAdd("traceId", Activity.Current?.Id ?? http.TraceIdentifier);
        options.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(http.Response.WriteAsJsonAsync(problem, json.Value.SerializerOptions.GetTypeInfo(problem.GetType()), "application/problem+json"));
    }
}
