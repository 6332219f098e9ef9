using AgentCrm.Access;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCrm.Intake;

public sealed record AcceptedEvents(int Accepted, int Duplicates);

public static class EventsApi
{
    public static RouteGroupBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/events").WithTags("Events");
        group.MapPost("/", PostEvents)
            .WithName("PostEvents")
            .RequireRoles(Roles.Integrator, Roles.Ops)
            .WithSummary("Accept one event, a JSON array of events, or NDJSON; 202 once durable.").AnswersWithoutLocation()
            .Accepts<object>("application/json", "application/x-ndjson", "application/ndjson", "application/jsonl")
            .DescribesItems<Event>(["application/json"], ["application/x-ndjson", "application/ndjson", "application/jsonl"])
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status409Conflict).ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge).ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType);
        return group;
    }

    public static async Task<Results<Accepted<AcceptedEvents>, ProblemHttpResult>> PostEvents(
        HttpRequest request, EventStore store, IEventDelivery delivery, IOptions<IntakeOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var body = await RequestBody.ReadAsync(request, o.MaxBodyBytes, cancellationToken);
        if (body is null)
            return Problems.TooLarge($"The body is larger than {o.MaxBodyBytes} bytes (setting Intake:MaxBodyBytes).");

        var parsed = EventParser.Parse(body.Value, EventParser.IsNdjson(request.ContentType), o, time.GetUtcNow());
        if (parsed.Errors.Count > 0)
        {
            var tooMany = parsed.Errors.TryGetValue("$", out var root) && root[0].StartsWith("Too many events", StringComparison.Ordinal);
            return tooMany
                ? Problems.Validation(parsed.Errors, StatusCodes.Status413PayloadTooLarge, "Too many events in one request.")
                : Problems.Validation(parsed.Errors, StatusCodes.Status400BadRequest, $"{parsed.Errors.Count} problem(s) in the request; nothing was stored.");
        }
        // Events where they go could never take (under Dapr, one larger than daprd's body limit): refused before anything is
        // stored, named by their attributes, the one field without a length limit.
        var refused = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var e in parsed.Events)
            if (delivery.Refusal(e.Event) is { } refusal)
                refused[e.Path + ".attributes"] = [e.Where + refusal];
        if (refused.Count > 0)
            return Problems.Validation(refused, StatusCodes.Status413PayloadTooLarge,
                (refused.Count == 1 ? refused.Values.Single()[0] : $"{refused.Count} events are too large to deliver.") + " Nothing was stored.");
        try
        {
            var result = await store.AppendAsync(parsed.Events, cancellationToken: cancellationToken);
            return TypedResults.Accepted((string?)null, new AcceptedEvents(result.Accepted, result.Duplicates));
        }
        catch (EventIdReusedException ex)
        {
            return Problems.Validation(ex.Errors.ToDictionary(), StatusCodes.Status409Conflict, ex.Message);
        }
    }
}
