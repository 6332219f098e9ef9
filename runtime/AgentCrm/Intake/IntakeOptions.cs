using Microsoft.Extensions.Options;

namespace AgentCrm.Intake;

public sealed class IntakeOptions
{
    public const string Section = "Intake";
    public const int DefaultMaxEventsPerRequest = 10_000;
    public const long DefaultMaxBodyBytes = 16 * 1024 * 1024;
    public const int DefaultMaxInFlight = 20_000;

    /// <summary>Most events one POST /v1/events may carry.</summary>
    public int MaxEventsPerRequest { get; set; } = DefaultMaxEventsPerRequest;

    /// <summary>Largest request body accepted, in bytes.</summary>
    public long MaxBodyBytes { get; set; } = DefaultMaxBodyBytes;

    /// <summary>How far in the future an occurredAt may lie (clock skew between systems).</summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The earliest occurredAt accepted; a value without an offset (2020-01-01) is UTC, not the server's time zone.</summary>
    public DateTimeOffset Earliest { get; set; } = new(1990, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Most events delivered to actors and not yet finished at any time (back-pressure).</summary>
    public int MaxInFlight { get; set; } = DefaultMaxInFlight;
}

public sealed class IntakeOptionsValidator : IValidateOptions<IntakeOptions>
{
    /// <summary>The largest Intake:MaxFutureSkew (README, "Configuration").</summary>
    public static readonly TimeSpan MaxFutureSkewLimit = TimeSpan.FromDays(7);

    public ValidateOptionsResult Validate(string? name, IntakeOptions o)
    {
        var failures = new List<string>();
        if (o.MaxEventsPerRequest is < 1 or > 1_000_000)
            failures.Add($"Intake:MaxEventsPerRequest must be between 1 and 1000000 (got {o.MaxEventsPerRequest}).");
        if (o.MaxBodyBytes is < 1024 or > 1L << 30)
            failures.Add($"Intake:MaxBodyBytes must be between 1024 and 1073741824 (got {o.MaxBodyBytes}).");
        if (o.MaxFutureSkew < TimeSpan.Zero)
            failures.Add("Intake:MaxFutureSkew must not be negative.");
        if (o.MaxFutureSkew > MaxFutureSkewLimit)
            failures.Add($"Intake:MaxFutureSkew must be at most {MaxFutureSkewLimit:c} (got {o.MaxFutureSkew:c}).");
        if (o.Earliest > DateTimeOffset.UtcNow)
            failures.Add($"Intake:Earliest must not be later than now (got {o.Earliest.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}); a value without an offset is UTC.");
        if (o.MaxInFlight is < 1 or > 1_000_000)
            failures.Add($"Intake:MaxInFlight must be between 1 and 1000000 (got {o.MaxInFlight}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
