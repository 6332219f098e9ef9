using AgentCrm.Agents;
using AgentCrm.Intake;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Server;

public sealed record HealthStatus(string Status);

/// <summary>Readiness; <see cref="DeadLetters"/> counts accepted events whose turn kept failing (GET /v1/dead-letters).</summary>
public sealed record ReadyStatus(string Status, bool Storage, bool Registry, int ActiveAgents, long DispatchWatermark, long DeadLetters);

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthStatus("ok"))).WithTags("Operations").WithName("Healthz");
        app.MapGet("/readyz", Ready).WithTags("Operations").WithName("Readyz");
        return app;
    }

    private static Results<Ok<ReadyStatus>, JsonHttpResult<ReadyStatus>> Ready(AgentRegistry registry, EventDispatcher dispatcher, DeadLetterStore deadLetters)
    {
        bool storage;
        long dead = 0;
        try
        {
            dead = deadLetters.Count();
            storage = true;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            storage = false;
        }
        var status = new ReadyStatus(storage && registry.Loaded ? "ready" : "not ready", storage, registry.Loaded, registry.Current.Live.Count, dispatcher.Watermark, dead);
        return storage && registry.Loaded ? TypedResults.Ok(status) : TypedResults.Json(status, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
