namespace AgentCrm.Webhooks;

/// <summary>
/// A subscription as stored: where to send, what to send (filters), the secret, and how far delivery got; after a rotation,
/// the secret it replaced and until when requests are signed with that one too; since when it has failed without a success
/// (<see cref="FailingSince"/>), and whether it was disabled for failing longer than Webhooks:DisableAfter.
/// </summary>
public sealed record WebhookRecord(
    string Id, string Url, string? CsmId, string? AgentId, string Secret, DateTimeOffset CreatedAt, string CreatedBy,
    long DeliveredSeq, long Delivered, DateTimeOffset? LastSuccessAt, DateTimeOffset? LastFailureAt, string? LastError,
    int ConsecutiveFailures, DateTimeOffset? NextAttemptAt, string? PreviousSecret = null, DateTimeOffset? PreviousSecretUntil = null,
    DateTimeOffset? FailingSince = null, DateTimeOffset? DisabledAt = null, string? DisabledReason = null)
{
    public const string Active = "active";
    public const string Disabled = "disabled";

    /// <summary><see cref="Active"/>, or <see cref="Disabled"/>: nothing is attempted until ops enable it.</summary>
    public string Status => DisabledAt is null ? Active : Disabled;

    /// <summary>The secrets a request sent at <paramref name="now"/> is signed with: the current one, then the previous one during its overlap.</summary>
    public IReadOnlyList<string> SigningSecrets(DateTimeOffset now) =>
        PreviousSecret is { } previous && PreviousSecretUntil is { } until && now < until ? [Secret, previous] : [Secret];
}

/// <summary>What recording a failed attempt did: the subscription is retried, was disabled by it, or is gone (deleted, or disabled meanwhile).</summary>
public enum WebhookFailureOutcome
{
    Retrying,
    Disabled,
    Gone,
}

/// <summary>
/// One change a subscription is to receive: its position in the audit log and that record's chain hash (together they
/// name this change even if a restored backup reuses the position for another), the event type, when, and the brief now.
/// </summary>
public sealed record WebhookChange(long Seq, string Hash, string Type, DateTimeOffset At, string BriefJson);

/// <summary>
/// How far behind a subscription is: <see cref="Changes"/> to send among the <see cref="WebhookStore.BacklogScanCap"/>
/// audit records after its cursor (a lower bound past them: it stops growing there); when the oldest of them was made
/// (<see cref="OldestPendingAt"/>, null: none), whose age keeps growing while it waits; and the audit records after the
/// cursor (<see cref="Behind"/>, every kind and customer: an upper bound, never capped). <see cref="CsmAccounts"/>: for a
/// CSM's subscription, the accounts its CSM has assigned now (0: nothing can be sent until some are assigned again, the
/// subscription looks healthy meanwhile); null for one of every CSM's briefs.
/// </summary>
public sealed record WebhookBacklog(long Changes, DateTimeOffset? OldestPendingAt, long Behind, int? CsmAccounts = null)
{
    public static readonly WebhookBacklog None = new(0, null, 0);
}
