using System.Text.RegularExpressions;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Rules;

/// <summary>
/// Whether a well-formed field name (<c>prefix.name</c>) can ever hold a value for a new rules manifest. A field the server
/// derives from events can; so can a field only case mappings supply (<c>services.internet</c>), which the server cannot
/// list. What is refused is what can only be a slip: an <c>events.*</c> field the server does not count (those are the
/// server's alone: a per-category count is <c>events.countNd.TYPE.category</c>, the category in lower case as intake keys
/// it), and a name one or two edits from a derived field (<c>tickets.opne</c>, <c>Tickets.open</c>), which would otherwise
/// register and be absent for every customer — unless the only edits are to its numbers (<c>logins.last90d</c>,
/// <c>billing.paymentFailures30d</c>): a window the server does not derive, which a case mapping may supply.
/// </summary>
internal static partial class KnownFields
{
    /// <summary>Why <paramref name="field"/> is not a field a manifest may use, naming the nearest known field; null when it is one.</summary>
    public static string? Problem(string field)
    {
        if (SnapshotBuilder.Derives(field))
            return null;
        var parts = field.Split('.');
        if (parts[0] == "events")
        {
            var hint = parts.Length == 4 && SnapshotBuilder.Derives(string.Join('.', parts[..3])) && CustomerTimeline.CategoryKey(parts[3]) is { } key
                ? $"events.{parts[1]}.{parts[2]}.{key}"
                : EditDistance.Closest(field, SnapshotBuilder.Fields);
            return $"unknown field '{field}': events.* fields are the server's counts (events.total, events.daysSinceLast, events.countNd.TYPE and "
                + $"events.countNd.TYPE.category with N one of {string.Join(", ", SnapshotBuilder.CountWindows)}, TYPE an event type, the category in lower case, "
                + $"other characters as _){(hint is null ? "" : $"; did you mean {hint}?")}";
        }
        // logins.last90d, web.visits90d: a derived field over another window, which a case mapping may supply; not a slip.
        if (Shapes.Contains(Digits().Replace(field, "#")))
            return null;
        return EditDistance.Closest(field, SnapshotBuilder.Fields) is { } near
            ? $"unknown field '{field}'; did you mean {near}? (no event derives '{field}', so it would be absent for every customer)"
            : null;
    }

    /// <summary>The derived fields with each run of digits (a window length) as <c>#</c>: a field of one of these shapes is a known one over another window.</summary>
    private static readonly HashSet<string> Shapes = SnapshotBuilder.Fields.Select(f => Digits().Replace(f, "#")).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"[0-9]+")]
    private static partial Regex Digits();
}
