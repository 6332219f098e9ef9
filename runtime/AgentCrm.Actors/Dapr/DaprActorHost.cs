using System.Net;
using System.Text.Json;
using AgentCrm.Actors;

namespace AgentCrm.Dapr;

/// <summary>
/// <see cref="IActorHost"/> under <c>Runtime:Host = Dapr</c>: every call goes through daprd
/// (<c>POST /v1.0/actors/{type}/{id}/method/{method}</c>), which routes it to whichever instance hosts
/// the actor (maybe this one) and runs it there as one turn. The argument travels as JSON; the answer is
/// read back as the method's declared result type (a JsonElement when none is declared). Unlike the
/// embedded host, calls started one after another without awaiting race over HTTP to daprd's per-actor
/// FIFO, so their order is not guaranteed; await a call before the next when order matters.
/// </summary>
public sealed class DaprActorHost(DaprSidecarClient sidecar, ActorTypeRegistry registry) : IActorHost
{
    public async Task<object?> InvokeAsync(ActorId id, string method, object? argument, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id.Type, nameof(id));
        ArgumentException.ThrowIfNullOrEmpty(id.Id, nameof(id));
        ArgumentException.ThrowIfNullOrEmpty(method);
        var type = registry.Get(id.Type);
        await sidecar.SidecarReady.WaitAsync(cancellationToken).ConfigureAwait(false);
        var body = argument is null ? [] : JsonSerializer.SerializeToUtf8Bytes(argument, argument.GetType(), ActorStateManager.Json);
        var response = await sidecar.InvokeActorMethodAsync(id, method, body, cancellationToken, type.IsRepeatable(method)).ConfigureAwait(false);
        if (response.IsAppError)
            throw ReadAppError(response.Body);
        if (response.Status != HttpStatusCode.OK)
            throw new DaprApiException("invoke actor method", response.Status, null, $"expected 200 from {id}.{method}");
        if (response.Body.Length == 0)
            return null;
        var resultType = type.Results?.GetValueOrDefault(method);
        return resultType is null
            ? JsonSerializer.Deserialize<JsonElement>(response.Body)
            : JsonSerializer.Deserialize(response.Body, resultType, ActorStateManager.Json);
    }

    /// <summary>
    /// The error payload of a failed turn (<see cref="DaprActorsApi"/>). A turn that failed because daprd did (its state
    /// store down) carries that failure, which becomes the inner <see cref="DaprApiException"/>: callers answer it as the
    /// sidecar failing (503), not as a bug (500). One from a build before that property names the exception type only.
    /// </summary>
    internal static DaprActorMethodException ReadAppError(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var type = root.TryGetProperty("exceptionType", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() ?? "" : "";
            var message = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() ?? "" : "";
            if (root.TryGetProperty(DaprActorsApi.SidecarFailureProperty, out var f) && f.ValueKind == JsonValueKind.Object)
                return new DaprActorMethodException(type, message, ReadSidecarFailure(f, message));
            if (type == typeof(DaprApiException).FullName)
                return new DaprActorMethodException(type, message, new DaprApiException(message));
            return new DaprActorMethodException(type, message);
        }
        catch (JsonException)
        {
            return new DaprActorMethodException("", System.Text.Encoding.UTF8.GetString(body));
        }
    }

    private static DaprApiException ReadSidecarFailure(JsonElement failure, string fallback)
    {
        string? Text(string name) => failure.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (Text("operation") is { } operation && failure.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out var status))
            return new DaprApiException(operation, (HttpStatusCode)status, Text("errorCode"), Text("daprMessage"));
        return new DaprApiException(Text("message") ?? fallback);
    }
}
