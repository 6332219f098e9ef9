using Microsoft.Extensions.Options;

namespace AgentCrm.Actors;

/// <summary>Settings of the embedded actor host (section "Actors").</summary>
public sealed class ActorOptions
{
    public const string Section = "Actors";
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan DefaultScanInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultReminderPollInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(30);
    public const int DefaultMaxActivations = 50_000;

    /// <summary>An actor with no call or reminder for this long is deactivated.</summary>
    public TimeSpan IdleTimeout { get; set; } = DefaultIdleTimeout;

    /// <summary>
    /// Actors kept active at most (an activation holds its state in memory, some kilobytes): past it, the least recently
    /// active actors with no turn queued are deactivated at once, down to nine tenths of it, whatever their idle time.
    /// Their state is saved with every turn, so the next call reactivates them from the store.
    /// </summary>
    public int MaxActivations { get; set; } = DefaultMaxActivations;

    /// <summary>How often idle actors are looked for.</summary>
    public TimeSpan ScanInterval { get; set; } = DefaultScanInterval;

    /// <summary>How often due reminders are read from the store.</summary>
    public TimeSpan ReminderPollInterval { get; set; } = DefaultReminderPollInterval;

    /// <summary>How long shutdown waits for queued and running turns before cancelling them.</summary>
    public TimeSpan DrainTimeout { get; set; } = DefaultDrainTimeout;
}

public sealed class ActorOptionsValidator : IValidateOptions<ActorOptions>
{
    public ValidateOptionsResult Validate(string? name, ActorOptions options)
    {
        var failures = new List<string>();
        Positive(failures, "IdleTimeout", options.IdleTimeout, ActorOptions.DefaultIdleTimeout);
        Positive(failures, "ScanInterval", options.ScanInterval, ActorOptions.DefaultScanInterval);
        Positive(failures, "ReminderPollInterval", options.ReminderPollInterval, ActorOptions.DefaultReminderPollInterval);
        Positive(failures, "DrainTimeout", options.DrainTimeout, ActorOptions.DefaultDrainTimeout);
        if (options.MaxActivations < 1)
            failures.Add($"{ActorOptions.Section}:MaxActivations must be at least 1 (got {options.MaxActivations}, default {ActorOptions.DefaultMaxActivations}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(List<string> failures, string key, TimeSpan value, TimeSpan defaultValue)
    {
        if (value <= TimeSpan.Zero)
            failures.Add($"{ActorOptions.Section}:{key} must be positive (got {value}, default {defaultValue}).");
    }
}
