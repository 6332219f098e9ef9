using Microsoft.Extensions.Options;

namespace AgentCrm.Webhooks;

/// <summary>Settings under <c>Webhooks</c>: how deliveries are timed out and retried, how often idle subscriptions look for changes.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    public static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromMinutes(5);

    /// <summary>How long one delivery may take (connect, send, the receiver's answer) before it counts as failed.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The first retry's delay; each further failure doubles it, up to <see cref="RetryMaxDelay"/>, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts: a subscription never gives up, it retries at least this often.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often a caught-up subscription looks for changes it was not told about (another process's, a missed signal).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long after a secret rotation requests are still signed with the secret it replaced too (a second <c>v1</c>), so
    /// receivers can move to the new secret without refusing a delivery; 0: the new secret only, at once.
    /// </summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The longest <see cref="SecretOverlap"/>: a week, as Stripe allows for a rolled secret; a leaked secret should not sign for longer.</summary>
    public static readonly TimeSpan MaxSecretOverlap = TimeSpan.FromDays(7);

    /// <summary>
    /// How long a subscription may fail without a single successful delivery before it is disabled: no more attempts until
    /// ops enable it again (its cursor kept, so nothing is lost); 0: never disabled, retried forever. Three days, as Stripe's.
    /// </summary>
    public TimeSpan DisableAfter { get; set; } = DefaultDisableAfter;

    public static readonly TimeSpan DefaultDisableAfter = TimeSpan.FromDays(3);

    /// <summary>The shortest <see cref="DisableAfter"/> but 0: a receiver's restart or a deploy must not cost a subscription.</summary>
    public static readonly TimeSpan MinDisableAfter = TimeSpan.FromMinutes(1);

    /// <summary>The longest <see cref="DisableAfter"/>: past a month a receiver is not coming back, and its backlog only grows.</summary>
    public static readonly TimeSpan MaxDisableAfter = TimeSpan.FromDays(30);

    /// <summary>Most subscriptions at once (each has its own delivery loop).</summary>
    public int MaxSubscriptions { get; set; } = 100;

    /// <summary>
    /// Whether deliveries may go to loopback, private and link-local addresses (a receiver on the same host or network).
    /// False: only public addresses are connected to, checked on each connection's resolved addresses, and the API refuses
    /// a URL whose host is such an address or <c>localhost</c> — so an ops key cannot point the server at internal services.
    /// </summary>
    public bool AllowPrivateAddresses { get; set; } = true;

    /// <summary>
    /// False: this server sends no webhook at all — subscriptions, their cursors and backlogs are kept (and can be managed),
    /// so a copy started to check a backup, or a staging server on production data, does not post to the production
    /// receivers. A server started with deliveries again sends every change since each cursor, in order.
    /// </summary>
    public bool Deliver { get; set; } = true;
}

internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions o)
    {
        var errors = new List<string>();
        if (o.RequestTimeout < TimeSpan.FromMilliseconds(100) || o.RequestTimeout > WebhookOptions.MaxRequestTimeout)
            errors.Add($"Webhooks:RequestTimeout must be between 00:00:00.100 and {WebhookOptions.MaxRequestTimeout:c} (got {o.RequestTimeout:c}).");
        if (o.RetryBaseDelay < TimeSpan.FromMilliseconds(10) || o.RetryBaseDelay > TimeSpan.FromHours(1))
            errors.Add($"Webhooks:RetryBaseDelay must be between 00:00:00.010 and 01:00:00 (got {o.RetryBaseDelay:c}).");
        if (o.RetryMaxDelay < o.RetryBaseDelay || o.RetryMaxDelay > TimeSpan.FromDays(1))
            errors.Add($"Webhooks:RetryMaxDelay must be between Webhooks:RetryBaseDelay and 1.00:00:00 (got {o.RetryMaxDelay:c}).");
        if (o.PollInterval < TimeSpan.FromMilliseconds(100) || o.PollInterval > TimeSpan.FromHours(1))
            errors.Add($"Webhooks:PollInterval must be between 00:00:00.100 and 01:00:00 (got {o.PollInterval:c}).");
        if (o.SecretOverlap < TimeSpan.Zero || o.SecretOverlap > WebhookOptions.MaxSecretOverlap)
            errors.Add($"Webhooks:SecretOverlap must be between 00:00:00 and {WebhookOptions.MaxSecretOverlap:c} (got {o.SecretOverlap:c}).");
        if (o.DisableAfter != TimeSpan.Zero && (o.DisableAfter < WebhookOptions.MinDisableAfter || o.DisableAfter > WebhookOptions.MaxDisableAfter))
            errors.Add($"Webhooks:DisableAfter must be 0 (never disable) or between {WebhookOptions.MinDisableAfter:c} and {WebhookOptions.MaxDisableAfter:c} (got {o.DisableAfter:c}).");
        if (o.MaxSubscriptions is < 1 or > 1000)
            errors.Add($"Webhooks:MaxSubscriptions must be between 1 and 1000 (got {o.MaxSubscriptions}).");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
