using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentCrm.Agents.Customers;

/// <summary>
/// The attributes <see cref="CustomerTimeline"/> reads, per event type (README, "Events"), and the values it
/// can use. Intake refuses a known attribute whose value the timeline would otherwise drop or misread
/// (a score of 11, an end date of "notadate"); attributes it does not know stay allowed, for forward compatibility.
/// </summary>
public static partial class EventAttributes
{
    private static readonly string[] ContractTypes = ["month-to-month", "one-year", "two-year"];

    private static readonly Dictionary<string, Dictionary<string, Rule>> ByType = new(StringComparer.Ordinal)
    {
        ["profile"] = new() { ["name"] = Rule.TextUpTo(CustomerState.MaxTitleChars), ["segment"] = Rule.TextUpTo(CustomerState.MaxTitleChars), ["domain"] = Rule.TextUpTo(MaxDomainChars), ["customerSince"] = Rule.Date },
        ["contract"] = new()
        {
            ["contractType"] = Rule.ContractType, ["startDate"] = Rule.Date, ["endDate"] = Rule.Date,
            ["value"] = Rule.Number, ["autoRenew"] = Rule.Flag, ["status"] = Rule.TextUpTo(EventIds.MaxLength),
        },
        ["usage"] = new() { ["quantity"] = Rule.Number },
        ["support_ticket"] = new() { ["ticketId"] = Rule.TextUpTo(EventIds.MaxLength), ["status"] = Rule.OneOf("open", "resolved", "closed", "solved"), ["priority"] = Rule.OneOf("low", "normal", "high", "urgent", "critical") },
        ["invoice"] = new() { ["invoiceId"] = Rule.TextUpTo(EventIds.MaxLength), ["amount"] = Rule.Number, ["dueDate"] = Rule.Date, ["status"] = Rule.OneOf("open", "paid", "overdue") },
        ["payment"] = new() { ["invoiceId"] = Rule.TextUpTo(EventIds.MaxLength), ["amount"] = Rule.Number, ["status"] = Rule.OneOf("succeeded", "failed", "declined", "error") },
        ["nps"] = new() { ["score"] = Rule.Between(0, 10) },
        ["web_visit"] = new()
        {
            ["url"] = Rule.Text, ["category"] = Rule.TextUpTo(EventIds.MaxLength), ["visitorId"] = Rule.TextUpTo(EventIds.MaxLength), ["visitorDomain"] = Rule.TextUpTo(MaxDomainChars),
            ["visitorEmail"] = Rule.TextUpTo(MaxDomainChars), ["email"] = Rule.TextUpTo(MaxDomainChars),
        },
        ["document"] = new() { ["text"] = Rule.Text, ["docType"] = Rule.Text, ["title"] = Rule.Text },
        ["news"] = new() { ["title"] = Rule.Text, ["buyer"] = Rule.Text, ["description"] = Rule.Text },
    };

    /// <summary>An e-mail address or a domain: 254 characters at most in SMTP, 253 in DNS; refused past 320.</summary>
    public const int MaxDomainChars = 320;

    /// <summary>Every event's <c>category</c> is counted (<c>events.count30d.TYPE.CATEGORY</c>), so it is text on every type.</summary>
    private static readonly Dictionary<string, Rule> Common = new(StringComparer.Ordinal) { ["category"] = Rule.TextUpTo(EventIds.MaxLength) };

    /// <summary>
    /// The largest magnitude a number may have (10^15, past any real quantity or amount and within the integers a
    /// double holds exactly): sums over a customer's history stay finite, so no snapshot carries an infinity.
    /// </summary>
    public const double MaxMagnitude = 1e15;

    /// <summary>
    /// Each attribute of <paramref name="attributes"/> the timeline could not use: (name, problem) — a known attribute's
    /// value of the wrong kind (a known number past <see cref="MaxMagnitude"/> included), or a top-level number of another
    /// attribute that is not finite as a double (1e400). Other attributes' large numbers (64-bit CRM ids, epoch
    /// microseconds) pass: the timeline never sums them. Null values count as absent.
    /// </summary>
    public static IEnumerable<(string Name, string Problem)> Problems(string type, JsonElement attributes)
    {
        if (attributes.ValueKind != JsonValueKind.Object)
            yield break;
        var rules = ByType.GetValueOrDefault(type);
        foreach (var p in attributes.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Null)
                continue;
            if ((rules?.GetValueOrDefault(p.Name) ?? Common.GetValueOrDefault(p.Name)) is { } rule)
            {
                if (rule.Check(p.Value) is { } problem)
                    yield return (p.Name, $"{p.Name} {problem}");
            }
            else if (p.Value.ValueKind == JsonValueKind.Number && !(p.Value.TryGetDouble(out var d) && double.IsFinite(d)))
                yield return (p.Name, $"{p.Name} must be a finite number, not {Describe(p.Value)}.");
        }
    }

    /// <summary>A date as the timeline reads it: ISO 8601, a date or a date and time (no offset means UTC).</summary>
    private static bool IsDate(string s) =>
        IsoDate().IsMatch(s) && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);

    /// <summary>A number as <see cref="CrmEvent.Num"/> reads it: a JSON number or a numeric string, finite and within <see cref="MaxMagnitude"/>.</summary>
    internal static double? Number(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number when v.TryGetDouble(out var d) && Usable(d) => d,
        JsonValueKind.String when double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && Usable(d) => d,
        _ => null,
    };

    private static bool Usable(double d) => double.IsFinite(d) && Math.Abs(d) <= MaxMagnitude;

    private static string? Text(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number => v.GetRawText(),
        _ => null,
    };

    private static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Number => $"the number {v.GetRawText()}",
        _ => $"'{Truncate(v.GetString() ?? "")}'",
    };

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>One attribute's check: null when the value is usable, else what is wrong with it.</summary>
    private sealed record Rule(Func<JsonElement, string?> Check)
    {
        public static readonly Rule Text = new(v => EventAttributes.Text(v) is null ? $"must be text, not {Describe(v)}." : null);

        /// <summary>
        /// Text the customer's state keeps as a key or beside every visit (a ticket's or invoice's id, a visitor, a domain): at
        /// most <paramref name="max"/> characters, refused beyond, since cutting it would merge two ids into one.
        /// </summary>
        public static Rule TextUpTo(int max) => new(v => EventAttributes.Text(v) is not { } s ? $"must be text, not {Describe(v)}."
            : s.Length > max ? $"is longer than {max:N0} characters." : null);

        public static readonly Rule Number = new(v => EventAttributes.Number(v) is null ? $"must be a number of at most {MaxMagnitude:0e0} in magnitude, not {Describe(v)}." : null);

        public static readonly Rule Date = new(v => v.ValueKind == JsonValueKind.String && IsDate(v.GetString()!)
            ? null
            : $"must be an ISO 8601 date such as 2026-12-31 or 2026-12-31T00:00:00Z, not {Describe(v)}.");

        public static readonly Rule Flag = new(v => v.ValueKind is JsonValueKind.True or JsonValueKind.False || EventAttributes.Number(v) is 0 or 1
            ? null
            : $"must be true or false, not {Describe(v)}.");

        public static readonly Rule ContractType = new(v => EventAttributes.Text(v) is { } s && ContractTypes.Contains(CustomerTimeline.NormalizeContractType(s))
            ? null
            : $"must be one of {string.Join(", ", ContractTypes)} (common spellings such as monthly, annual or 2 year are accepted), not {Describe(v)}.");

        public static Rule Between(double min, double max) => new(v => EventAttributes.Number(v) is { } d && d >= min && d <= max
            ? null
            : $"must be a number from {min} to {max}, not {Describe(v)}.");

        /// <summary>Compared case-insensitively, as the timeline lower-cases these values.</summary>
        public static Rule OneOf(params string[] values) => new(v => EventAttributes.Text(v) is { } s && values.Contains(s.ToLowerInvariant())
            ? null
            : $"must be one of {string.Join(", ", values)}, not {Describe(v)}.");
    }

    // \z, not $: "2026-12-31\n" was taken (and kept with its line break).
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?(Z|z|[+-][0-9]{2}:[0-9]{2})?)?\z")]
    private static partial Regex IsoDate();
}
