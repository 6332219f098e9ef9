using AgentCrm.Agents;
using AgentCrm.Intake;
using AgentCrm.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Server;

public sealed record HealthStatus(string Status);

public sealed record ReadyStatus(string Status, bool Storage, bool Registry, int ActiveAgents, long DispatchWatermark);

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthStatus("ok"))).WithTags("Operations").WithName("Healthz");
        app.MapGet("/readyz", Ready).WithTags("Operations").WithName("Readyz");
        return app;
    }

    private static Results<Ok<ReadyStatus>, JsonHttpResult<ReadyStatus>> Ready(SqliteDatabase database, AgentRegistry registry, EventDispatcher dispatcher)
    {
        bool storage;
        try
        {
            using var connection = database.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT 1";
            storage = cmd.ExecuteScalar() is long;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            storage = false;
        }
        var status = new ReadyStatus(storage && registry.Loaded ? "ready" : "not ready", storage, registry.Loaded, registry.Current.Live.Count, dispatcher.Watermark);
        return storage && registry.Loaded ? TypedResults.Ok(status) : TypedResults.Json(status, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
