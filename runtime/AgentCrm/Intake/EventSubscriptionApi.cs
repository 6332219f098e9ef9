using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using AgentCrm.Agents.Customers;
using AgentCrm.Customers;
using AgentCrm.Dapr;
using Microsoft.Extensions.Options;

namespace AgentCrm.Intake;

/// <summary>
/// Dapr host: the programmatic subscription (<c>GET /dapr/subscribe</c>) and its delivery route. Each
/// delivered CloudEvent goes to its customer's actor with the delivery number its inbox gave it, so the actor's
/// check makes a redelivery of any age harmless (events published by others: the ids of the latest events). Answers per Dapr's pub/sub contract: 200 SUCCESS when applied,
/// 200 DROP for a message that can never apply (not an event), and a 500 when the actor failed, which
/// makes daprd retry and, once its retries run out, move the message to the dead-letter topic.
/// </summary>
public static partial class EventSubscriptionApi
{
    public const string DeliveryRoute = "/dapr/events";

    /// <summary>Where daprd delivers what it moved to the dead-letter topic (<see cref="DaprOptions.DeadLetterTopic"/>).</summary>
    public const string DeadLetterRoute = "/dapr/dead-letters";

    /// <summary>The property of a CloudEvent's <c>data</c> that numbers the delivery (<see cref="DaprEventPublisher.ToCloudEvent"/>).</summary>
    public const string DeliveryProperty = "delivery";
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static RouteGroupBuilder MapEventSubscription(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/dapr").RequireDaprAppToken().ExcludeFromDescription();
        group.MapGet("/subscribe", (IOptions<DaprOptions> options) => Results.Text(Subscriptions(options.Value).ToJsonString(), "application/json"));
        group.MapPost("/events", ReceiveAsync);
        group.MapPost("/dead-letters", ReceiveDeadLetterAsync);
        return group;
    }

    public static JsonArray Subscriptions(DaprOptions o) =>
    [
        new JsonObject { ["pubsubname"] = o.PubSubName, ["topic"] = o.Topic, ["route"] = DeliveryRoute, ["deadLetterTopic"] = o.DeadLetterTopic },
        // What daprd gave up on comes back here and is recorded as a dead letter, as the embedded dispatcher records its own.
        new JsonObject { ["pubsubname"] = o.PubSubName, ["topic"] = o.DeadLetterTopic, ["route"] = DeadLetterRoute },
    ];

    /// <summary>
    /// An event daprd moved to the dead-letter topic after its redeliveries failed: recorded in <c>dead_letters</c> under its
    /// inbox sequence (listed, counted, replayed by publishing it again, which the actor applies once: the delivery number
    /// tells a repeat). One this instance's inbox does not hold (accepted by another instance, or published by others)
    /// answers 500 so the broker hands it on (to the instance that accepted it); a message that is not an event is dropped.
    /// </summary>
    private static async Task<IResult> ReceiveDeadLetterAsync(HttpRequest request, EventStore inbox, DeadLetterStore deadLetters, IOptions<DaprOptions> options,
        TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(EventSubscriptionApi).FullName!);
        CrmEvent? e;
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            e = Read(doc.RootElement, time.GetUtcNow()).Event;
        }
        catch (JsonException ex)
        {
            LogDropped(logger, ex.Message);
            return Status("DROP");
        }
        var seq = inbox.SeqOf(e!.Id, e.CustomerId);
        if (seq is null)
        {
            LogDeadLetterNotOurs(logger, e.Id, e.CustomerId, options.Value.DeadLetterTopic);
            return Results.Problem($"Event {e.Id} of customer {e.CustomerId} is not in this instance's inbox; another instance accepted it.", statusCode: StatusCodes.Status500InternalServerError);
        }
        await deadLetters.RecordAsync(seq.Value, e.Id,
            $"DeadLettered: daprd moved it to {options.Value.DeadLetterTopic} after its deliveries to the customer's actor kept failing (the log holds the actor's errors)");
        LogDeadLettered(logger, e.Id, seq.Value, e.CustomerId, options.Value.DeadLetterTopic);
        return Status("SUCCESS");
    }

    private static async Task<IResult> ReceiveAsync(HttpRequest request, IActorHost host, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(EventSubscriptionApi).FullName!);
        CrmEvent? e;
        DateTimeOffset receivedAt;
        CustomerTimeline.Delivery? delivery;
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            (e, receivedAt, delivery) = Read(doc.RootElement, time.GetUtcNow());
        }
        catch (JsonException ex)
        {
            e = null;
            receivedAt = default;
            delivery = null;
            LogDropped(logger, ex.Message);
        }
        if (e is null)
            return Status("DROP");
        try
        {
            await host.InvokeAsync(new ActorId(CustomerActor.TypeName, e.CustomerId), CustomerActor.ApplyMethod, new ApplyEvents([new ApplyEvent(0, e, receivedAt, delivery)]), cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogRetry(logger, ex, e.Id, e.CustomerId);
            return Results.Problem($"Event {e.Id} could not be applied to customer {e.CustomerId}: {ex.Message}", statusCode: StatusCodes.Status500InternalServerError);
        }
        return Status("SUCCESS");
    }

    /// <summary>The event in a CloudEvent's <c>data</c> and its delivery number when it carries one; throws when it is not an event.</summary>
    private static (CrmEvent? Event, DateTimeOffset ReceivedAt, CustomerTimeline.Delivery? Delivery) Read(JsonElement cloudEvent, DateTimeOffset now)
    {
        if (cloudEvent.ValueKind != JsonValueKind.Object || !cloudEvent.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
            throw new JsonException("the CloudEvent has no JSON object in 'data'");
        var e = data.Deserialize<CrmEvent>(Json) ?? throw new JsonException("'data' is null");
        if (string.IsNullOrEmpty(e.Id) || string.IsNullOrEmpty(e.CustomerId) || string.IsNullOrEmpty(e.Type))
            throw new JsonException("'data' lacks id, customerId or type");
        // The customer id becomes the actor id (a URL path segment under Dapr): its rule holds for every message.
        if (EventIds.CustomerIdPathProblem(e.CustomerId) is { } customerProblem)
            throw new JsonException(customerProblem);
        var receivedAt = cloudEvent.TryGetProperty("time", out var t) && t.ValueKind == JsonValueKind.String && t.TryGetDateTimeOffset(out var at) ? at : now;
        // Events published by others carry no number: the actor then dedupes on the ids of the latest events only.
        CustomerTimeline.Delivery? delivery = data.TryGetProperty(DeliveryProperty, out var d) && d.ValueKind == JsonValueKind.Object
            && d.TryGetProperty("source", out var source) && source.ValueKind == JsonValueKind.String && source.GetString() is { Length: > 0 } sourceId
            && d.TryGetProperty("seq", out var seq) && seq.ValueKind == JsonValueKind.Number && seq.TryGetInt64(out var n) && n > 0
                ? new CustomerTimeline.Delivery(sourceId, n)
                : null;
        // Events our intake published (numbered) passed its rules when they were accepted, perhaps by an earlier build
        // whose rules were looser: they apply as accepted. Events published by others pass the same rules as POST /v1/events.
        if (delivery is null && EventParser.Refusal(e) is { } refusal)
            throw new JsonException(refusal);
        return (e, receivedAt, delivery);
    }

    private static IResult Status(string status) => Results.Text(new JsonObject { ["status"] = status }.ToJsonString(), "application/json");

    [LoggerMessage(Level = LogLevel.Error, Message = "Event {CrmEventId} (seq {Seq}) for customer {CustomerId} came back on {Topic}: its deliveries kept failing; recorded in dead_letters (GET /v1/dead-letters, replay with POST /v1/dead-letters/replay)")]
    private static partial void LogDeadLettered(ILogger logger, string crmEventId, long seq, string customerId, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {CrmEventId} for customer {CustomerId} came back on {Topic} but this instance's inbox does not hold it (another instance accepted it); answered 500 so the broker hands it on")]
    private static partial void LogDeadLetterNotOurs(ILogger logger, string crmEventId, string customerId, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A pub/sub message is not a CRM event ({Reason}); dropped")]
    private static partial void LogDropped(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {CrmEventId} for customer {CustomerId} failed in its actor; daprd will redeliver it")]
    private static partial void LogRetry(ILogger logger, Exception ex, string crmEventId, string customerId);
}
