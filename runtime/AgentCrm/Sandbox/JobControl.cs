namespace AgentCrm.Sandbox;

/// <summary>A running job's cancellation: the first cancel's reason and actor win; <see cref="Ended"/> completes with the job as stored at its end.</summary>
internal sealed class JobControl(string jobId, string agentId, long? transitionsSeq, DateTimeOffset createdAt)
{
    public string JobId { get; } = jobId;

    private readonly CancellationTokenSource _cts = new();
    private (string Reason, string Actor)? _cancel;

    public string AgentId { get; } = agentId;

    public long? TransitionsSeq { get; } = transitionsSeq;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public CancellationToken Token => _cts.Token;

    public TaskCompletionSource<JobStatus> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public (string Reason, string Actor)? Cancel
    {
        get
        {
            lock (_cts)
                return _cancel;
        }
    }

    public bool IsRequested => Cancel is not null;

    /// <summary>Records this cancel unless one was asked before; true only for the call that recorded it.</summary>
    public bool TryClaim(string reason, string actor)
    {
        lock (_cts)
        {
            if (_cancel is not null)
                return false;
            _cancel = (reason, actor);
            return true;
        }
    }

    private void Claim(string reason, string actor)
    {
        lock (_cts)
            _cancel ??= (reason, actor);
    }

    public void Request(string reason, string actor)
    {
        Claim(reason, actor);
        _cts.Cancel();
    }
}
