using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentCrm.Agents.Customers;

/// <summary>
/// How an event's time is read, wherever it is read: live intake, the inbox read back, and the sandbox replaying cases, so a
/// replay hands an agent the instant the live path did.
/// </summary>
public static partial class EventTimes
{
    /// <summary>ISO 8601 date and time with an explicit offset or Z (up to 9 fractional digits); nothing looser.</summary>
    public static bool TryParseTimestamp(string raw, out DateTimeOffset value)
    {
        value = default;
        return Iso8601().IsMatch(raw) && TryParseInstant(raw, out value);
    }

    /// <summary>
    /// The instant a timestamp names, the one rule for every event time read (the request, and the stored body read back
    /// from the inbox): Go's RFC3339Nano and Java's Instant write 8 or 9 fractional digits; a DateTimeOffset holds 7
    /// (100 ns), so the digits past the seventh are dropped. Not rounded, as <c>DateTimeOffset.Parse</c> would: the stored
    /// body keeps all 9, and read back with Parse an exact retry's occurredAt "differed" (409) and a restart or replay
    /// handed actors another time than the live path did.
    /// </summary>
    public static bool TryParseInstant(string raw, out DateTimeOffset value)
    {
        var dot = raw.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < raw.Length && char.IsAsciiDigit(raw[end]))
                end++;
            if (end - dot - 1 > 7)
                raw = string.Concat(raw.AsSpan(0, dot + 8), raw.AsSpan(end));
        }
        return DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}:\d{2})$")]
    private static partial Regex Iso8601();
}
