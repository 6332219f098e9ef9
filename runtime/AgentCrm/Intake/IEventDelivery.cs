using AgentCrm.Actors;
using AgentCrm.Agents.Customers;
using AgentCrm.Customers;

namespace AgentCrm.Intake;

/// <summary>Where the dispatcher hands a customer's committed events, in inbox order.</summary>
public interface IEventDelivery
{
    /// <summary>Completes once the events are settled where they went; throws if they could not be.</summary>
    /// <param name="events">One customer's events, in inbox order.</param>
    /// <param name="stopping">The app is stopping.</param>
    /// <param name="replay">Delivered again after a failed turn: later events of the customer may have been applied since.</param>
    Task DeliverAsync(IReadOnlyList<StoredEvent> events, CancellationToken stopping, bool replay = false);

    /// <summary>
    /// Dead letters replayed (one customer's, in inbox order): completes once the customer's actor applied them, or found them
    /// applied already; throws if it did not. <see cref="DeliveryUnavailableException"/>: where events go cannot be reached.
    /// </summary>
    Task ReplayAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken) => DeliverAsync(events, cancellationToken, replay: true);

    /// <summary>Why this delivery could never take <paramref name="e"/> (intake then refuses it before storing anything); null when it can.</summary>
    string? Refusal(CrmEvent e) => null;
}

/// <summary>Embedded host: one call to the customer's actor per group (one turn, one state save).</summary>
public sealed class ActorEventDelivery(IActorHost host) : IEventDelivery
{
    public async Task DeliverAsync(IReadOnlyList<StoredEvent> events, CancellationToken stopping, bool replay = false)
    {
        var message = new ApplyEvents(events.Select(e => new ApplyEvent(e.Seq, e.Event, e.ReceivedAt, e.Delivery, replay)).ToList());
        // Not cancelled by shutdown: a turn that started finishes, so its progress is recorded.
        await host.InvokeAsync(new ActorId(CustomerActor.TypeName, events[0].Event.CustomerId), CustomerActor.ApplyMethod, message, CancellationToken.None);
    }
}
