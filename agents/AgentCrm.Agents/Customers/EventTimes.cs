using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentCrm.Agents.Customers;

/// <summary>
/// How an event's time is read, wherever it is read: live intake, the inbox read back, and the sandbox replaying cases, so a
/// replay hands an agent the instant the live path did.
/// </summary>
public static partial class EventTimes
{
    /// <summary>
    /// ISO 8601 date and time with an explicit offset or Z (up to 9 fractional digits); nothing looser. The separator and
    /// the Z may be lower case (RFC 3339 §5.6); nothing may follow the offset, not even a line break.
    /// </summary>
    public static bool TryParseTimestamp(string raw, out DateTimeOffset value)
    {
        value = default;
        return IsWellFormed(raw) && TryParseInstant(raw, out value);
    }

    /// <summary>
    /// True when <paramref name="raw"/> has a timestamp's form (<see cref="TryParseTimestamp"/>); such a one that does not
    /// parse names no instant (2026-02-29, 24:00:00, 23:59:60): "not a valid date and time" rather than "not a timestamp".
    /// </summary>
    public static bool IsWellFormed(string raw) => Iso8601().IsMatch(raw);

    /// <summary>What a well-formed timestamp that names no instant is told: which parts must be in range.</summary>
    public const string NoSuchInstant = "is not a valid date and time (a day of that month, hours 00-23, minutes and seconds 00-59)";

    /// <summary>
    /// A well-formed timestamp as it is kept: the separator and the Z upper case (2026-11-02t09:30:00z reads 2026-11-02T09:30:00Z),
    /// the rest as written.
    /// </summary>
    public static string Normalized(string raw) => raw.Contains('t', StringComparison.Ordinal) || raw.Contains('z', StringComparison.Ordinal) ? raw.ToUpperInvariant() : raw;

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

    // \z, not $ (which also matches before a final line break: "…Z\n" was accepted and kept with its \n); [0-9], not \d (any script's digits).
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|z|[+-][0-9]{2}:[0-9]{2})\z")]
    private static partial Regex Iso8601();
}
