namespace AgentCrm.Actors;

/// <summary>A timer of the activation delivered as a turn.</summary>
internal sealed class TimerTick(ActorTimer timer) : ActorWorkItem
{
    public override bool IsActivity => false;

    public override async Task<object?> RunAsync(ActorActivation activation, CancellationToken cancellationToken)
    {
        timer.ClearQueued();
        await activation.Timers.FireAsync(timer, cancellationToken).ConfigureAwait(false);
        return null;
    }

    public override void Complete(object? result)
    {
    }

    public override void Fail(Exception exception)
    {
    }

    public override string ToString() => $"timer {timer.Name}";
}
