using AgentCrm.Agents;
using AgentCrm.Intake;
using AgentCrm.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Server;

public sealed record HealthStatus(string Status);

/// <summary>
/// Readiness; <see cref="Storage"/> is false when the database cannot be read, or while writes fail for want of storage (a
/// full disk, an I/O error) — until a commit succeeds again, or <see cref="HealthApi.StorageFailureWindow"/> passes without
/// another failure —, and for as long as the database file is deleted, moved away or replaced (<see cref="SqliteWriter.DatabaseFileMoved"/>:
/// every write fails until it is back, so no window ends it); <see cref="DeadLetters"/> counts accepted events whose turn kept failing (GET /v1/dead-letters);
/// <see cref="WebhooksFailing"/> counts webhook subscriptions whose latest attempt failed (reported only: a receiver that
/// is down does not make this server unready); <see cref="WebhooksDisabled"/> those disabled for failing longer than
/// Webhooks:DisableAfter (reported only too: the server is fine, a receiver is not, and ops enable it once it is back).
/// <see cref="ActiveAgents"/> counts the versions that deliver (state active; one an agent, two while a canary shares its
/// customers); <see cref="LiveVersions"/> every version that runs, by state (active, shadow), as <c>agentcrm_agents_live</c>.
/// </summary>
public sealed record ReadyStatus(string Status, bool Storage, bool Registry, int ActiveAgents, IReadOnlyDictionary<string, int> LiveVersions, long DispatchWatermark, long DeadLetters,
    int WebhooksFailing, int WebhooksDisabled);

public static class HealthApi
{
    /// <summary>How long a storage failure keeps the server not ready when no write has tried since (nothing would, behind a load balancer).</summary>
    public static readonly TimeSpan StorageFailureWindow = TimeSpan.FromSeconds(10);

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthStatus("ok"))).WithTags("Operations").WithName("Healthz");
        app.MapGet("/readyz", Ready).WithTags("Operations").WithName("Readyz")
            .Produces<ReadyStatus>(StatusCodes.Status200OK).Produces<ReadyStatus>(StatusCodes.Status503ServiceUnavailable)
            .AlsoAnswers(StatusCodes.Status503ServiceUnavailable, $"Not ready: storage fails (storage false: the database cannot be read, its file was deleted, moved away or replaced, or writes failed in the last {StorageFailureWindow.TotalSeconds:0} seconds) or the agent registry is not loaded yet (registry false); the same body.");
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
            // A deleted or replaced database file fails every write until it is back: not ready while it lasts, whether or not a write tried.
            storage = (writer.SinceStorageFailure is not { } since || since >= StorageFailureWindow) && !writer.DatabaseFileMoved;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            storage = false;
        }
        var live = registry.Current.Live;
        // Shadow versions run but deliver nothing: activeAgents counted them until qa27 (5 beside agentcrm_agents_live's 4 + 1).
        var byState = new[] { AgentState.Active, AgentState.Shadow }.ToDictionary(AgentRegistry.Name, state => live.Count(a => a.Record.State == state), StringComparer.Ordinal);
        var status = new ReadyStatus(storage && registry.Loaded ? "ready" : "not ready", storage, registry.Loaded, byState[AgentRegistry.Name(AgentState.Active)], byState,
            dispatcher.Watermark, dead, webhooks.Failing, disabled);
        return storage && registry.Loaded ? TypedResults.Ok(status) : TypedResults.Json(status, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
