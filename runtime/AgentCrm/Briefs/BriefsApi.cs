using System.Text.Json;
using AgentCrm.Intake;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Briefs;

public sealed record BriefEvidence(
    string BriefId, string CustomerId, string AgentId, string AgentVersion, string ContentHash,
    double Score, double Threshold, DateTimeOffset AsOf, string TriggerEventId,
    IReadOnlyDictionary<string, object?> SnapshotFields, IReadOnlyList<Agents.Reason> Reasons,
    IReadOnlyList<Citation> Citations, IReadOnlyList<JsonElement> Events);

public static class BriefsApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public static RouteGroupBuilder MapBriefsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/briefs").WithTags("Briefs");
        group.MapGet("/", List).WithName("ListBriefs");
        group.MapGet("/{id}", (string id, BriefStore store) => store.Get(id) is { } b
            ? (Results<Ok<Brief>, ProblemHttpResult>)TypedResults.Ok(b)
            : Problems.NotFound($"No brief '{id}'.")).WithName("GetBrief");
        group.MapGet("/{id}/evidence", Evidence).WithName("GetBriefEvidence");
        return group;
    }

    public static Results<Ok<BriefPage>, ProblemHttpResult> List(
        BriefStore store, string? customerId, string? agentId, string? scenario, string? status, string? since, int? limit, string? cursor)
    {
        var errors = new Dictionary<string, string[]>();
        BriefStatus? parsedStatus = null;
        if (status is not null)
        {
            if (Enum.GetValues<BriefStatus>().FirstOrDefault(s => BriefStore.StatusName(s) == status) is var s && BriefStore.StatusName(s) == status)
                parsedStatus = s;
            else
                errors["status"] = [$"Unknown status '{status}'; allowed: {string.Join(", ", Enum.GetValues<BriefStatus>().Select(BriefStore.StatusName))}."];
        }
        DateTimeOffset? parsedSince = null;
        if (since is not null)
        {
            if (EventParser.TryParseTimestamp(since, out var t))
                parsedSince = t;
            else
                errors["since"] = ["since must be an ISO 8601 timestamp with a time zone, e.g. 2026-11-01T00:00:00Z."];
        }
        if (limit is < 1 or > MaxLimit)
            errors["limit"] = [$"limit must be between 1 and {MaxLimit}."];
        long? after = null;
        if (cursor is not null)
        {
            if (BriefStore.TryDecodeCursor(cursor, out var seq))
                after = seq;
            else
                errors["cursor"] = ["cursor is not one this server issued."];
        }
        if (errors.Count > 0)
            return Problems.Validation(errors);
        return TypedResults.Ok(store.Query(new BriefQuery(customerId, agentId, scenario, parsedStatus, parsedSince, limit ?? DefaultLimit, after)));
    }

    public static Results<Ok<BriefEvidence>, ProblemHttpResult> Evidence(string id, BriefStore briefs, EventStore events)
    {
        if (briefs.Get(id) is not { } b)
            return Problems.NotFound($"No brief '{id}'.");
        var ids = b.Reasons.SelectMany(r => r.EventIds).Append(b.TriggerEventId);
        return TypedResults.Ok(new BriefEvidence(b.Id, b.CustomerId, b.AgentId, b.AgentVersion, b.ContentHash, b.Score, b.Threshold, b.AsOf,
            b.TriggerEventId, b.Inputs, b.Reasons, b.Citations, events.GetRaw(ids)));
    }
}
