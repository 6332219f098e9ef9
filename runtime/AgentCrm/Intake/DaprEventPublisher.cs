using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using AgentCrm.Agents.Customers;
using AgentCrm.Customers;
using AgentCrm.Dapr;
using Microsoft.Extensions.Options;

namespace AgentCrm.Intake;

/// <summary>
/// Dapr host: publishes each committed event, after it is durable in the inbox, to the Dapr pub/sub topic
/// as a CloudEvent (id = the event id, subject = the customer, partition key = the customer so brokers
/// that partition keep a customer's events together). A publish that keeps failing is retried with
/// backoff until it succeeds or the app stops; the inbox watermark holds until then, so nothing
/// accepted is lost (a restart publishes again from the watermark; the actor's event-id check drops repeats).
/// A publish daprd refuses for this message — 400 (but those about its configuration, such as an unknown pub/sub), 413 for a body
/// over its <c>--max-body-size</c>, 415, 422 (<see cref="RefusedForGood"/>) —
/// is not retried: it throws <see cref="UndeliverableEventException"/> carrying daprd's answer, and the event becomes a dead
/// letter. Intake refuses up front an event whose CloudEvent would exceed <see cref="DaprOptions.MaxBodyBytes"/> (<see cref="Refusal"/>).
/// A dead letter is replayed by calling its customer's actor through daprd (<see cref="ReplayAsync"/>), not published again.
/// </summary>
public sealed partial class DaprEventPublisher(DaprSidecarClient sidecar, EventStore inbox, IActorHost actors, IOptions<DaprOptions> options, TimeProvider time,
    ILogger<DaprEventPublisher> logger) : IEventDelivery
{
    public const string CloudEventType = "com.agentcrm.crm-event";
    public const string CloudEventSource = "agentcrm/intake";

    /// <summary>
    /// The bytes a character of a string takes in the published JSON at most: <c>\uXXXX</c>. Most text goes as UTF-8 (at most 3
    /// bytes a character), but the encoder still escapes control characters (DEL and U+0080–U+009F too, one or two bytes as
    /// sent), private-use and unassigned code points, and each half of an emoji: only the bound, not the measure, stays 6.
    /// </summary>
    private const int MaxBytesPerChar = 6;

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private static readonly JsonElement EmptyAttributes = JsonDocument.Parse("{}").RootElement.Clone();

    private readonly Lazy<long> _emptyEnvelopeBytes = new(() => EmptyEnvelopeBytes(inbox.SourceId, time.GetUtcNow()));

    /// <summary>
    /// While daprd is down every customer with events waiting retries at once (up to Intake:MaxInFlight of them): one line per
    /// reason and interval, with the count not logged, as the sidecar client logs its own retries (3,200 lines a minute for 400
    /// customers before; qa43d #2).
    /// </summary>
    private readonly Storage.LogThrottle _failureLog = new(TimeSpan.FromSeconds(10), time);

    /// <summary>
    /// Dead letters replayed: handed to their customer's actor through daprd's actor invocation, as <c>POST /dapr/events</c> hands
    /// a delivered event on (its delivery number, no inbox sequence: inboxes are per instance). daprd calls whichever instance
    /// hosts the actor, and its answer says the events are applied (or were already), so the instance that lists them knows.
    /// Publishing them again told it nothing when another instance took the delivery: they stayed listed there, unaudited.
    /// daprd not reached or not answering throws <see cref="DeliveryUnavailableException"/>; any answer of daprd's but 200, or a
    /// failed turn, throws as it came.
    /// </summary>
    public async Task ReplayAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
            return;
        var message = new ApplyEvents(events.Select(e => new ApplyEvent(0, e.Event, e.ReceivedAt, e.Delivery, Replay: true)).ToList());
        try
        {
            await actors.InvokeAsync(new ActorId(CustomerActor.TypeName, events[0].Event.CustomerId), CustomerActor.ApplyMethod, message, cancellationToken);
        }
        catch (DaprApiException ex) when (ex.StatusCode is null && !cancellationToken.IsCancellationRequested)
        {
            throw new DeliveryUnavailableException(ex.Message, ex);
        }
    }

    public async Task DeliverAsync(IReadOnlyList<StoredEvent> events, CancellationToken stopping, bool replay = false)
    {
        var o = options.Value;
        foreach (var e in events)
        {
            var body = CloudEventBytes(e);
            var metadata = new Dictionary<string, string> { ["partitionKey"] = e.Event.CustomerId };
            var backoff = o.RetryBaseDelay;
            while (true)
            {
                try
                {
                    await sidecar.PublishCloudEventAsync(o.PubSubName, o.Topic, body, metadata, stopping);
                    break;
                }
                catch (DaprApiException ex) when (RefusedForGood(ex))
                {
                    throw new UndeliverableEventException($"daprd refused to publish it to {o.PubSubName}/{o.Topic}, so it was not retried: {ex.Message}", ex);
                }
                catch (DaprApiException ex) when (replay && !stopping.IsCancellationRequested)
                {
                    // A replay is ops waiting on an answer: one publish (the sidecar client's own retries, bounded by
                    // Dapr:RequestTimeout), then say why, rather than retrying until the replay's time per letter runs out.
                    throw new DeliveryUnavailableException(ex.Message, ex);
                }
                catch (DaprApiException ex) when (!stopping.IsCancellationRequested)
                {
                    if (_failureLog.ShouldLog(ex.Message, out var unlogged))
                        LogPublishFailed(logger, e.Event.Id, ex.Message, backoff.TotalSeconds, unlogged, _failureLog.Interval.TotalSeconds);
                    await Task.Delay(backoff, time, stopping);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                }
            }
        }
    }

    /// <summary>
    /// An event whose CloudEvent would be larger than daprd takes (<see cref="DaprOptions.MaxBodyBytes"/>): measured as it
    /// would be published, numbered with the longest number there is, so one accepted here always fits. Only an event that
    /// might be that large is serialised to measure it: the others are let through by <see cref="SizeAtMost"/>, from lengths alone.
    /// </summary>
    public string? Refusal(CrmEvent e)
    {
        var limit = options.Value.MaxBodyBytes;
        if (e.Attributes.ValueKind != JsonValueKind.Undefined && SizeAtMost(e, _emptyEnvelopeBytes.Value) <= limit)
            return null;
        var size = CloudEventBytes(Largest(e, inbox.SourceId, time.GetUtcNow())).LongLength;
        return size <= limit ? null
            : $"Event '{e.Id}' would be {size} bytes as the CloudEvent published to Dapr pub/sub, more than daprd takes ({limit} bytes, setting Dapr:MaxBodyBytes; "
                + "daprd's own limit is its --max-body-size, 4Mi by default). Make its attributes smaller, or raise both limits.";
    }

    /// <summary>The event as published with the longest number there is.</summary>
    private static StoredEvent Largest(CrmEvent e, string sourceId, DateTimeOffset receivedAt) =>
        new(long.MaxValue, e, receivedAt, new CustomerTimeline.Delivery(sourceId, long.MaxValue));

    /// <summary>
    /// The CloudEvent of an event whose strings are empty, whose attributes are <c>{}</c> and whose occurredAt is written as
    /// long as one can be (seven fractional digits and an offset), numbered with the longest number there is.
    /// </summary>
    internal static long EmptyEnvelopeBytes(string sourceId, DateTimeOffset receivedAt)
    {
        var longestTime = new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.FromHours(14)).AddTicks(TimeSpan.TicksPerSecond - 1);
        var empty = new CrmEvent("", "", "", longestTime, null, EmptyAttributes);
        return CloudEventBytes(Largest(empty, sourceId, receivedAt)).LongLength;
    }

    /// <summary>
    /// At least the size of <paramref name="e"/>'s CloudEvent (<see cref="EmptyEnvelopeBytes"/> being that of an empty one),
    /// without serialising it: each character of its strings takes 6 bytes at most (<c>\uXXXX</c>, <see cref="MaxBytesPerChar"/>) — the id and the customer
    /// twice, as the envelope's id and subject too — and so does each byte of its attributes' JSON as sent (a byte of JSON text
    /// is at most one character once read; numbers, literals and punctuation are written as they came, whitespace not at all).
    /// A source of null writes <c>null</c>, more than the quotes of one.
    /// </summary>
    internal static long SizeAtMost(CrmEvent e, long emptyEnvelopeBytes)
    {
        long chars = 2L * e.Id.Length + 2L * e.CustomerId.Length + e.Type.Length + (e.Source?.Length ?? 0)
            + System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(e.Attributes).Length;
        return emptyEnvelopeBytes + MaxBytesPerChar * chars;
    }

    /// <summary>
    /// daprd's 400s about its configuration, not the message: the pub/sub named by <c>Dapr:PubSubName</c> is unknown
    /// (<c>ERR_PUBSUB_NOT_FOUND</c>; older daprd answered it 404) or none is configured, or the
    /// publish metadata — the same for every event — is not taken. Every event gets the same answer until an operator fixes it.
    /// </summary>
    private static readonly HashSet<string> ConfigurationRefusals = ["ERR_PUBSUB_NOT_FOUND", "ERR_PUBSUB_NOT_CONFIGURED", "ERR_PUBSUB_REQUEST_METADATA"];

    /// <summary>
    /// An answer daprd gives again for this message, whatever is fixed around it: 400 (a message it cannot take), 413 (too
    /// large), 415, 422. Not a 400 about daprd's configuration (<see cref="ConfigurationRefusals"/>: a typo in <c>Dapr:PubSubName</c>),
    /// nor 401/403/404 (a wrong token, a topic access control, a pub/sub not configured): those refuse every event alike until
    /// an operator fixes the configuration, so they keep being retried with the watermark held rather than turning every
    /// accepted event into a dead letter. Not 408/429 either (try again later).
    /// </summary>
    internal static bool RefusedForGood(DaprApiException ex) =>
        ex.StatusCode switch
        {
            System.Net.HttpStatusCode.BadRequest => !ConfigurationRefusals.Contains(ex.ErrorCode ?? ""),
            System.Net.HttpStatusCode.RequestEntityTooLarge or System.Net.HttpStatusCode.UnsupportedMediaType or System.Net.HttpStatusCode.UnprocessableEntity => true,
            _ => false,
        };

    /// <summary>
    /// The CloudEvent of <paramref name="e"/> as published: text as UTF-8, with the encoder actor state uses. With the default
    /// encoder each non-ASCII letter was a 6-byte <c>\uXXXX</c>: 1.44 MB of Cyrillic was refused as a 4.3 MB CloudEvent, and what
    /// passed cost the broker three times its size (qa45c M1).
    /// </summary>
    internal static byte[] CloudEventBytes(StoredEvent e) => JsonSerializer.SerializeToUtf8Bytes(ToCloudEvent(e), CloudEventJson);

    private static readonly JsonSerializerOptions CloudEventJson = new() { Encoder = ActorStateManager.Json.Encoder };

    /// <summary>
    /// CloudEvents 1.0 envelope; <c>data</c> is the event as intake accepted it, plus <c>delivery</c> — the source id of the run
    /// that accepted it and its number among the customer's events — so the actor dedupes redeliveries of any age exactly.
    /// </summary>
    public static JsonObject ToCloudEvent(StoredEvent e)
    {
        var data = JsonSerializer.SerializeToNode(e.Event, EventSubscriptionApi.Json)!.AsObject();
        if (e.Delivery is { } delivery)
            data[EventSubscriptionApi.DeliveryProperty] = new JsonObject { ["source"] = delivery.Source, ["seq"] = delivery.Seq };
        return new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = e.Event.Id,
            ["source"] = CloudEventSource,
            ["type"] = CloudEventType,
            ["subject"] = e.Event.CustomerId,
            ["time"] = e.ReceivedAt.ToString("O"),
            ["datacontenttype"] = "application/json",
            ["data"] = data,
        };
    }

    /// <summary>The delay in seconds, a number: a TimeSpan was logged as a quoted "00:00:00.2000000".</summary>
    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing event {CrmEventId} to Dapr pub/sub failed ({Reason}); retrying in {DelaySeconds} s ({Unlogged} more failed publishes for this reason since the last line; logged at most once per {Interval} s)")]
    internal static partial void LogPublishFailed(ILogger logger, string crmEventId, string reason, double delaySeconds, int unlogged, double interval);
}
