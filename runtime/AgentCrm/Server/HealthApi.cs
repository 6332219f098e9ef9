using AgentCrm.Agents;
using AgentCrm.Intake;
using AgentCrm.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Server;

public sealed record HealthStatus(string Status);

/// <summary>
/// Readiness; <see cref="Storage"/> is false when the database cannot be read, or while writes fail for want of storage (a
/// full disk, an I/O error) — until a commit succeeds again, or <see cref="HealthApi.StorageFailureWindow"/> passes without
/// another failure; <see cref="DeadLetters"/> counts accepted events whose turn kept failing (GET /v1/dead-letters);
/// <see cref="WebhooksFailing"/> counts webhook subscriptions whose latest attempt failed (reported only: a receiver that
/// is down does not make this server unready); <see cref="WebhooksDisabled"/> those disabled for failing longer than
/// Webhooks:DisableAfter (reported only too: the server is fine, a receiver is not, and ops enable it once it is back).
/// </summary>
public sealed record ReadyStatus(string Status, bool Storage, bool Registry, int ActiveAgents, long DispatchWatermark, long DeadLetters, int WebhooksFailing, int WebhooksDisabled);

public static class HealthApi
{
    /// <summary>How long a storage failure keeps the server not ready when no write has tried since (nothing would, behind a load balancer).</summary>
    public static readonly TimeSpan StorageFailureWindow = TimeSpan.FromSeconds(10);

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthStatus("ok"))).WithTags("Operations").WithName("Healthz");
        app.MapGet("/readyz", Ready).WithTags("Operations").WithName("Readyz");
        return app;
    }

    private static Results<Ok<ReadyStatus>, JsonHttpResult<ReadyStatus>> Ready(AgentRegistry registry, EventDispatcher dispatcher, DeadLetterStore deadLetters, SqliteWriter writer,
        Webhooks.WebhookDispatcher webhooks, Webhooks.WebhookStore subscriptions)
    {
        bool storage;
        long dead = 0;
        var disabled = 0;
        try
        {
            dead = deadLetters.Count();
            disabled = subscriptions.DisabledCount();
            storage = writer.SinceStorageFailure is not { } since || since >= StorageFailureWindow;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            storage = false;
        }
        var status = new ReadyStatus(storage && registry.Loaded ? "ready" : "not ready", storage, registry.Loaded, registry.Current.Live.Count, dispatcher.Watermark, dead, webhooks.Failing, disabled);
        return storage && registry.Loaded ? TypedResults.Ok(status) : TypedResults.Json(status, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
