using AgentCrm.Actors;
using AgentCrm.Customers;

namespace AgentCrm.Intake;

/// <summary>Where the dispatcher hands a customer's committed events, in inbox order.</summary>
public interface IEventDelivery
{
    /// <summary>Completes once the events are settled where they went; throws if they could not be.</summary>
    Task DeliverAsync(IReadOnlyList<StoredEvent> events, CancellationToken stopping);
}

/// <summary>Embedded host: one call to the customer's actor per group (one turn, one state save).</summary>
public sealed class ActorEventDelivery(IActorHost host) : IEventDelivery
{
    public async Task DeliverAsync(IReadOnlyList<StoredEvent> events, CancellationToken stopping)
    {
        var message = new ApplyEvents(events.Select(e => new ApplyEvent(e.Seq, e.Event, e.ReceivedAt)).ToList());
        // Not cancelled by shutdown: a turn that started finishes, so its progress is recorded.
        await host.InvokeAsync(new ActorId(CustomerActor.TypeName, events[0].Event.CustomerId), CustomerActor.ApplyMethod, message, CancellationToken.None);
    }
}
