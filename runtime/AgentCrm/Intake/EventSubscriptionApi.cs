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
    /// tells a repeat). One this instance's inbox does not hold (accepted by another instance, one whose data directory was
    /// replaced, or published by others) is stored here from the message, with its delivery number, and recorded the same way:
    /// answering 500 made the broker redeliver it forever when no instance holds it. One that cannot be stored here (its id is
    /// another customer's event in this inbox) is dropped with an error naming it; a message that is not an event is dropped.
    /// </summary>
    private static async Task<IResult> ReceiveDeadLetterAsync(HttpRequest request, EventStore inbox, DeadLetterStore deadLetters, IOptions<DaprOptions> options,
        TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(EventSubscriptionApi).FullName!);
        var topic = options.Value.DeadLetterTopic;
        CrmEvent? e;
        DateTimeOffset receivedAt;
        CustomerTimeline.Delivery? delivery;
        string body;
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            (e, receivedAt, delivery) = Read(doc.RootElement, time.GetUtcNow());
            // The event as it was accepted: the CloudEvent's data without the delivery number (stored in its own table).
            var data = JsonNode.Parse(doc.RootElement.GetProperty("data").GetRawText())!.AsObject();
            data.Remove(DeliveryProperty);
            body = data.ToJsonString();
        }
        catch (JsonException ex)
        {
            LogDropped(logger, ex.Message);
            return Status("DROP");
        }
        var error = $"DeadLettered: daprd moved it to {topic} after its deliveries to the customer's actor kept failing (the log holds the actor's errors)";
        if (inbox.SeqOf(e!.Id, e.CustomerId) is { } seq)
        {
            await deadLetters.RecordAsync(seq, e.Id, error);
            LogDeadLettered(logger, e.Id, seq, e.CustomerId, topic);
            return Status("SUCCESS");
        }
        if (await deadLetters.RecordAdoptedAsync(e, body, receivedAt, delivery,
                error + "; this instance's inbox did not hold it (accepted by another instance, or published by others): stored here from the dead-letter message") is { } adopted)
        {
            LogDeadLetterAdopted(logger, e.Id, adopted, e.CustomerId, topic);
            return Status("SUCCESS");
        }
        // Answering 500 would have the broker redeliver it forever: dropped, and said so.
        LogDeadLetterUnrecordable(logger, e.Id, e.CustomerId, e.Type, e.OccurredAt, topic);
        return Status("DROP");
    }

    private static async Task<IResult> ReceiveAsync(HttpRequest request, IActorHost host, DeadLetterStore deadLetters, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
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
        // Applied: a dead letter of it (replayed, or redelivered after daprd dead-lettered it) leaves the list, audited then.
        // Answered 500 when that write fails: the redelivery is deduped by the actor and removes it then.
        await deadLetters.ForgetAppliedAsync(e.Id, e.CustomerId);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Event {CrmEventId} for customer {CustomerId} came back on {Topic}: its deliveries kept failing; this instance's inbox did not hold it (another instance accepted it, or others published it), so it was stored here as seq {Seq} and recorded in dead_letters (GET /v1/dead-letters, replay with POST /v1/dead-letters/replay)")]
    private static partial void LogDeadLetterAdopted(ILogger logger, string crmEventId, long seq, string customerId, string topic);

    [LoggerMessage(Level = LogLevel.Error, Message = "Event {CrmEventId} for customer {CustomerId} (type {Type}, occurred {OccurredAt:O}) came back on {Topic}: its deliveries kept failing, and it cannot be recorded here (this inbox holds another customer's event under that id); DROPPED, not applied: send it again to POST /v1/events on the instance that accepted it, or under a new id")]
    private static partial void LogDeadLetterUnrecordable(ILogger logger, string crmEventId, string customerId, string type, DateTimeOffset occurredAt, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A pub/sub message is not a CRM event ({Reason}); dropped")]
    private static partial void LogDropped(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {CrmEventId} for customer {CustomerId} failed in its actor; daprd will redeliver it")]
    private static partial void LogRetry(ILogger logger, Exception ex, string crmEventId, string customerId);
}
