using System.Globalization;
using System.Text;

namespace AgentCrm.Dapr;

/// <summary>
/// Durations as daprd parses them (Go's time.ParseDuration): "24h", "10s", "1h30m", "1s500ms", "0s".
/// Days become hours: Go durations have no day unit, and Scheduler-backed reminders reject ISO days.
/// </summary>
public static class GoDuration
{
    /// <summary>The longest duration Go parses (2,562,047 h 47 m 16.854 s, ~292 years), in whole milliseconds as we write them.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromMilliseconds(9_223_372_036_854);

    public static string Format(TimeSpan value)
    {
        if (value < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(value), value, "Dapr durations must not be negative.");
        var ms = (long)Math.Round(value.TotalMilliseconds, MidpointRounding.AwayFromZero);
        if (ms == 0)
            return "0s";
        var text = new StringBuilder();
        Append(text, ms / 3_600_000, "h");
        Append(text, ms / 60_000 % 60, "m");
        Append(text, ms / 1000 % 60, "s");
        Append(text, ms % 1000, "ms");
        return text.ToString();
    }

    private static void Append(StringBuilder text, long amount, string unit)
    {
        if (amount > 0)
            text.Append(amount.ToString(CultureInfo.InvariantCulture)).Append(unit);
    }
}
