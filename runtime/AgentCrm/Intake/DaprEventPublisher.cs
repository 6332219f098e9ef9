using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Dapr;
using Microsoft.Extensions.Options;

namespace AgentCrm.Intake;

/// <summary>
/// Dapr host: publishes each committed event, after it is durable in the inbox, to the Dapr pub/sub topic
/// as a CloudEvent (id = the event id, subject = the customer, partition key = the customer so brokers
/// that partition keep a customer's events together). A publish that keeps failing is retried with
/// backoff until it succeeds or the app stops; the inbox watermark holds until then, so nothing
/// accepted is lost (a restart publishes again from the watermark; the actor's event-id check drops repeats).
/// </summary>
public sealed partial class DaprEventPublisher(DaprSidecarClient sidecar, IOptions<DaprOptions> options, TimeProvider time, ILogger<DaprEventPublisher> logger) : IEventDelivery
{
    public const string CloudEventType = "com.agentcrm.crm-event";
    public const string CloudEventSource = "agentcrm/intake";
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    public async Task DeliverAsync(IReadOnlyList<StoredEvent> events, CancellationToken stopping, bool replay = false)
    {
        var o = options.Value;
        foreach (var e in events)
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(ToCloudEvent(e));
            var metadata = new Dictionary<string, string> { ["partitionKey"] = e.Event.CustomerId };
            var backoff = o.RetryBaseDelay;
            while (true)
            {
                try
                {
                    await sidecar.PublishCloudEventAsync(o.PubSubName, o.Topic, body, metadata, stopping);
                    break;
                }
                catch (DaprApiException ex) when (!stopping.IsCancellationRequested)
                {
                    LogPublishFailed(e.Event.Id, ex.Message, backoff);
                    await Task.Delay(backoff, time, stopping);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                }
            }
        }
    }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing event {CrmEventId} to Dapr pub/sub failed ({Reason}); retrying in {Delay}")]
    private partial void LogPublishFailed(string crmEventId, string reason, TimeSpan delay);
}
