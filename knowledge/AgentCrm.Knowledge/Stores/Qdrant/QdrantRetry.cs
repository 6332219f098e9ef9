namespace AgentCrm.Knowledge.Stores.Qdrant;

/// <summary>Retry budget for 408/429/5xx, network errors and per-attempt timeouts (exponential backoff with jitter).</summary>
internal sealed record QdrantRetry(int MaxRetries, TimeSpan BaseDelay)
{
    public static readonly QdrantRetry Default = new(3, TimeSpan.FromMilliseconds(250));

    /// <summary>Upper bound on a server's <c>Retry-After</c>, so a misconfigured rate limit cannot park a caller for minutes.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(30);
}
