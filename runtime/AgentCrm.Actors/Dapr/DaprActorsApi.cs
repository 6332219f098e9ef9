using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentCrm.Dapr;

/// <summary>
/// What daprd calls on the app (protocol sheet ../shared/protocols/dapr-actors.md §2, route table §6): <c>GET /dapr/config</c>, actor methods,
/// reminder and timer callbacks, deactivation. Every route checks the app API token when one is set;
/// <c>/healthz</c> (mapped by the server) stays anonymous because daprd's health probe carries no token.
/// </summary>
public static class DaprActorsApi
{
    /// <summary>In the error payload of a failed turn: the failure of daprd it came from, if any (<see cref="DaprActorHost"/> reads it).</summary>
    public const string SidecarFailureProperty = "daprdFailure";
    private static readonly string[] CallVerbs = ["PUT", "POST"];

    public static RouteGroupBuilder MapDaprActors(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").RequireDaprAppToken().ExcludeFromDescription();
        group.MapGet("/dapr/config", Config);
        // Literal segments outrank the {methodName} parameter, so remind/ and timer/ never reach the method route.
        group.MapMethods("/actors/{actorType}/{actorId}/method/remind/{reminderName}", CallVerbs, Reminder);
        group.MapMethods("/actors/{actorType}/{actorId}/method/timer/{timerName}", CallVerbs, Timer);
        group.MapMethods("/actors/{actorType}/{actorId}/method/{methodName}", CallVerbs, Method);
        group.MapDelete("/actors/{actorType}/{actorId}", Deactivate);
        return group;
    }

    /// <summary>The config daprd reads once at start (sheet §2.2): the fixed actor types and their idle, drain and reentrancy settings.</summary>
    public static JsonObject BuildConfig(ActorTypeRegistry registry, ActorOptions options) => new()
    {
        ["entities"] = new JsonArray(registry.Types.Select(t => t.Name).Order(StringComparer.Ordinal).Select(n => (JsonNode)n).ToArray()),
        ["actorIdleTimeout"] = GoDuration.Format(options.IdleTimeout),
        // Ignored by daprd since v1.14, still documented; harmless to send.
        ["actorScanInterval"] = GoDuration.Format(options.ScanInterval),
        ["drainOngoingCallTimeout"] = GoDuration.Format(options.DrainTimeout),
        ["drainRebalancedActors"] = true,
        ["reentrancy"] = new JsonObject { ["enabled"] = false },
    };

    /// <summary>The config; daprd asks for it when it starts, so activations cached before are stale (<see cref="DaprActorRuntime.SidecarStarted"/>).</summary>
    private static IResult Config(DaprActorRuntime runtime, IOptions<ActorOptions> options)
    {
        runtime.SidecarStarted();
        return Results.Text(BuildConfig(runtime.Registry, options.Value).ToJsonString(), "application/json", Encoding.UTF8, StatusCodes.Status200OK);
    }

    private static async Task<IResult> Method(string actorType, string actorId, string methodName, HttpRequest request, DaprActorRuntime runtime, CancellationToken cancellationToken)
    {
        // Path: "", actors, {actorType}, {actorId}, method, {methodName}; each value decoded once (DaprRoutePath).
        var path = DaprRoutePath.Segments(request);
        (actorType, actorId, methodName) = (DaprRoutePath.Value(path, 2, actorType), DaprRoutePath.Value(path, 3, actorId), DaprRoutePath.Value(path, 5, methodName));
        var body = await ReadBodyAsync(request, cancellationToken);
        var result = await runtime.InvokeAsync(actorType, actorId, methodName, body, cancellationToken);
        switch (result.Status)
        {
            case DaprCallStatus.Ok:
                return result.Body is null ? Results.Ok() : Results.Bytes(result.Body, "application/json");
            case DaprCallStatus.UnknownType:
            case DaprCallStatus.UnknownMethod:
                // 404 = "method not found", a permanent error for daprd (sheet §2.3).
                return Results.Problem(result.Problem, statusCode: StatusCodes.Status404NotFound);
            case DaprCallStatus.BadArgument:
                return Results.Problem(result.Problem, statusCode: StatusCodes.Status400BadRequest);
            default:
                // 200 + X-DaprErrorResponseHeader: daprd relays the app's own error payload to the caller unchanged (sheet §2.3).
                request.HttpContext.Response.Headers[DaprSidecarClient.ErrorResponseHeader] = "true";
                var error = new JsonObject { ["exceptionType"] = result.Error!.GetType().FullName, ["message"] = result.Error.Message };
                // The turn failed because daprd did (its state store down, say): the caller is told so, to answer as for
                // any failure of the sidecar (503) rather than as for a bug in the actor.
                if (DaprApiException.Find(result.Error) is { } sidecar)
                    error[SidecarFailureProperty] = new JsonObject
                    {
                        ["operation"] = sidecar.Operation,
                        ["status"] = sidecar.StatusCode is { } status ? (int)status : null,
                        ["errorCode"] = sidecar.ErrorCode,
                        ["daprMessage"] = sidecar.DaprMessage,
                        ["message"] = sidecar.Message,
                    };
                return Results.Text(error.ToJsonString(), "application/json", Encoding.UTF8, StatusCodes.Status200OK);
        }
    }

    private static Task<IResult> Reminder(string actorType, string actorId, string reminderName, HttpRequest request, DaprActorRuntime runtime, CancellationToken cancellationToken)
    {
        // Path: "", actors, {actorType}, {actorId}, method, remind, {reminderName}.
        var path = DaprRoutePath.Segments(request);
        (actorType, actorId, reminderName) = (DaprRoutePath.Value(path, 2, actorType), DaprRoutePath.Value(path, 3, actorId), DaprRoutePath.Value(path, 6, reminderName));
        return CallbackAsync(actorType, actorId, request, runtime, (data, ct) => runtime.ReceiveReminderAsync(actorType, actorId, reminderName, data, ct), cancellationToken);
    }

    private static Task<IResult> Timer(string actorType, string actorId, string timerName, HttpRequest request, DaprActorRuntime runtime, CancellationToken cancellationToken)
    {
        var path = DaprRoutePath.Segments(request);
        (actorType, actorId, timerName) = (DaprRoutePath.Value(path, 2, actorType), DaprRoutePath.Value(path, 3, actorId), DaprRoutePath.Value(path, 6, timerName));
        return CallbackAsync(actorType, actorId, request, runtime, (data, ct) => runtime.ReceiveTimerAsync(actorType, actorId, timerName, data, ct), cancellationToken);
    }

    /// <summary>Reminder and timer callbacks: body <c>{"data":…,"dueTime":"","period":""}</c>; only <c>data</c> matters (sheet §2.4, §2.5).</summary>
    private static async Task<IResult> CallbackAsync(string actorType, string actorId, HttpRequest request, DaprActorRuntime runtime, Func<JsonElement?, CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        if (!runtime.Registry.TryGet(actorType, out _))
            return Results.Problem($"This app hosts no actor type '{actorType}'.", statusCode: StatusCodes.Status404NotFound);
        var body = await ReadBodyAsync(request, cancellationToken);
        JsonElement? data = null;
        if (!body.IsEmpty)
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("data", out var d))
                    data = d.Clone();
            }
            catch (JsonException ex)
            {
                return Results.Problem($"The callback body is not JSON: {ex.Message}", statusCode: StatusCodes.Status400BadRequest);
            }
        }
        try
        {
            await run(data, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Non-200: daprd counts the fire as failed (the runtime logged the turn's exception).
            return Results.Problem($"The callback of {actorType}/{actorId} failed: {ex.Message}", statusCode: StatusCodes.Status500InternalServerError);
        }
        return Results.Ok();
    }

    /// <summary>Always 200 (sheet §2.6): a non-2xx DELETE can leave a sidecar disconnected from placement.</summary>
    private static async Task<IResult> Deactivate(string actorType, string actorId, HttpRequest request, DaprActorRuntime runtime)
    {
        var path = DaprRoutePath.Segments(request);
        await runtime.DeactivateAsync(DaprRoutePath.Value(path, 2, actorType), DaprRoutePath.Value(path, 3, actorId));
        return Results.Ok();
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>
    /// Refuses (401) calls without daprd's app API token when APP_API_TOKEN / Dapr:AppApiToken is set. Without a token only
    /// calls from this machine's loopback are taken (where the sidecar calls from, self-hosted and in a pod alike): the
    /// actor and pub/sub routes carry no API key, so an open port must not make them reachable from the network. A refusal is
    /// logged (<see cref="DaprAppTokenRefusals"/>): daprd takes a 401 on its config as "no actors here" and says nothing.
    /// </summary>
    public static TBuilder RequireDaprAppToken<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.AddEndpointFilter(CheckAppToken);

    internal static async ValueTask<object?> CheckAppToken(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var expected = http.RequestServices.GetRequiredService<IOptions<DaprOptions>>().Value.AppApiToken;
        if (expected is null && http.Connection.RemoteIpAddress is { } remote
            && !System.Net.IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
        {
            http.RequestServices.GetRequiredService<DaprAppTokenRefusals>().Refused(http,
                "APP_API_TOKEN (Dapr:AppApiToken) is not set, so the Dapr routes take calls from the loopback only; if daprd calls from there, set the token for both");
            return Results.Problem("Without APP_API_TOKEN (Dapr:AppApiToken) the Dapr routes take calls from the loopback only; set the token to call them from elsewhere.",
                statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
        }
        if (expected is not null)
        {
            var given = http.Request.Headers[DaprSidecarClient.ApiTokenHeader].ToString();
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected)))
            {
                http.RequestServices.GetRequiredService<DaprAppTokenRefusals>().Refused(http, given.Length == 0
                    ? "it carried no dapr-api-token although APP_API_TOKEN is set: daprd runs without APP_API_TOKEN; it hosts no actors of this app and delivers it no events until both have the same token"
                    : "its dapr-api-token does not match APP_API_TOKEN: daprd runs with another token; it hosts no actors of this app and delivers it no events until both have the same token");
                return Results.Problem("The dapr-api-token header is missing or does not match APP_API_TOKEN.", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
            }
        }
        return await next(context);
    }
}
