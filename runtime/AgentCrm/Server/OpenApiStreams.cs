using System.Text.Json.Nodes;
using AgentCrm.Briefs;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AgentCrm.Server;

/// <summary>
/// Describes a <c>text/event-stream</c> answer as what goes over the wire. The generator gave it the schema of the .NET
/// type the handler yields (<c>SseItemOfObject</c>: <c>eventType</c>, <c>data</c>, <c>reconnectionInterval</c>), which is
/// no JSON anything sends. The stream is text; each of its events is named here with the schema of its <c>data</c> line,
/// under <c>x-events</c> on the media type (OpenAPI 3.1 has no keyword for a stream's items).
/// </summary>
internal sealed class OpenApiStreams : IOpenApiOperationTransformer
{
    private const string EventStream = "text/event-stream";

    private sealed record StreamEvent(string Name, Type Data, string Description);

    /// <summary>The events each stream sends, by its endpoint name.</summary>
    private static readonly Dictionary<string, StreamEvent[]> Streams = new(StringComparer.Ordinal)
    {
        ["StreamBriefs"] =
        [
            new("brief", typeof(Brief), "a new or changed brief the caller may see, as GET /v1/briefs/{id} gives it; the event's id is an opaque stream position "
                + "(the brief's id is in data): sent back as Last-Event-ID (or ?lastEventId=) on a reconnect, what changed since comes first"),
            new("overflow", typeof(BriefOverflow), "the client read too slowly, or a reconnect missed more than 1,024: dropped briefs it may see were left out; "
                + "GET /v1/briefs?cursor=… lists them down to oldestId; its id resumes after them"),
            new("resync", typeof(StreamResync), "the Last-Event-ID given is not a position of this stream in this data directory's history (another directory's, or sent after the backup it was restored from was taken): "
                + "reload the list (GET /v1/briefs); live from here, and its id places the next reconnect"),
            new("heartbeat", typeof(StreamHeartbeat), "the stream was quiet for Auth:Streams:Heartbeat"),
        ],
    };

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var response in (operation.Responses ?? []).Values.OfType<OpenApiResponse>())
        {
            if (response.Content?.TryGetValue(EventStream, out var media) != true || media is null)
                continue;
            var name = context.Description.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName;
            var events = name is not null && Streams.TryGetValue(name, out var known) ? known : [];
            media.Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "Server-sent events: each an `event:` line naming it, an `id:` line where it has one, and a `data:` line of JSON."
                    + string.Concat(events.Select(e => $" `{e.Name}`: {e.Description} (data: {e.Data.Name})."))
                    + " A client should ignore events it does not know.",
            };
            if (events.Length == 0 || context.Document is not { } document)
                continue;
            var items = new JsonObject();
            foreach (var e in events)
            {
                if (document.Components?.Schemas?.ContainsKey(e.Data.Name) != true)
                    document.AddComponent(e.Data.Name, await context.GetOrCreateSchemaAsync(e.Data, null, cancellationToken));
                items[e.Name] = new JsonObject { ["$ref"] = $"#/components/schemas/{e.Data.Name}" };
            }
            media.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            media.Extensions["x-events"] = new JsonNodeExtension(items);
            document.Components?.Schemas?.Remove("SseItemOfObject");
        }
    }
}
