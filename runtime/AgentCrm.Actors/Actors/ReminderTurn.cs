using System.Text.Json;

namespace AgentCrm.Actors;

/// <summary>A due reminder delivered as a turn. The reminder is advanced (or deleted) only once the turn and its state are durable.</summary>
internal sealed class ReminderTurn(ReminderRow row, long firedAtMs, ReminderScheduler scheduler) : ActorWorkItem
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Task => _completion.Task;

    public ReminderRow Row => row;

    public long FiredAtMs => firedAtMs;

    public override async Task<object?> RunAsync(ActorActivation activation, CancellationToken cancellationToken)
    {
        activation.Scheduler.BeginReminderTurn(row.Name);
        var data = row.Data is null ? (JsonElement?)null : JsonSerializer.Deserialize<JsonElement>(row.Data);
        await activation.Actor.ReceiveReminderAsync(row.Name, data, cancellationToken).ConfigureAwait(false);
        return null;
    }

    public override Task CommitAsync(ActorActivation activation) =>
        // Re-registered or unregistered by the turn itself: the new registration wins.
        activation.Scheduler.EndReminderTurn() ? Task.CompletedTask : scheduler.CompleteAsync(row, firedAtMs);

    public override void Complete(object? result) => _completion.TrySetResult();

    public override void Fail(Exception exception) => _completion.TrySetException(exception);

    public override string ToString() => $"reminder {row.Name}";
}
