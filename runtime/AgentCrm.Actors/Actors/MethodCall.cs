namespace AgentCrm.Actors;

/// <summary>A call from <see cref="IActorHost.InvokeAsync"/>; its task completes once the turn's state is durable.</summary>
internal sealed class MethodCall(string method, object? argument, CancellationToken cancellationToken) : ActorWorkItem
{
    private readonly TaskCompletionSource<object?> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<object?> Task => _completion.Task;

    public override CancellationToken CancellationToken => cancellationToken;

    public override bool CallerSeesFailure => true;

    public override Task<object?> RunAsync(ActorActivation activation, CancellationToken cancellationToken) =>
        activation.Actor.InvokeAsync(method, argument, cancellationToken);

    public override void Complete(object? result) => _completion.TrySetResult(result);

    public override void Fail(Exception exception)
    {
        if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
            _completion.TrySetCanceled(cancellationToken);
        else
            _completion.TrySetException(exception);
    }

    public override string ToString() => $"call {method}";
}
