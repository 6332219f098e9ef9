using Microsoft.Extensions.Options;

namespace AgentCrm.Audit;

/// <summary>Section "Audit": when the server's own background verify of the audit log first runs (<see cref="AuditWatch"/>).</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    public static readonly TimeSpan DefaultBackgroundVerifyDelay = TimeSpan.FromMinutes(1);

    /// <summary>The longest the first pass may wait: it runs every 6 hours after that, and a delay past a day would leave a new server unverified.</summary>
    public static readonly TimeSpan MaxBackgroundVerifyDelay = TimeSpan.FromDays(1);

    /// <summary>How long after the start the first background verify runs (0: at once).</summary>
    public TimeSpan BackgroundVerifyDelay { get; set; } = DefaultBackgroundVerifyDelay;
}

/// <summary>
/// Refuses at start what <see cref="AuditWatch"/>'s wait would refuse a minute later, when its failure stopped the server: a
/// negative delay (the start's checks refuse one past <see cref="AuditOptions.MaxBackgroundVerifyDelay"/> or not a time span).
/// </summary>
internal sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditOptions o) =>
        o.BackgroundVerifyDelay < TimeSpan.Zero || o.BackgroundVerifyDelay > AuditOptions.MaxBackgroundVerifyDelay
            ? ValidateOptionsResult.Fail($"Audit:BackgroundVerifyDelay must be between 00:00:00 and {AuditOptions.MaxBackgroundVerifyDelay:c}.")
            : ValidateOptionsResult.Success;
}
