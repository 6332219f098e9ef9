using System.Buffers.Text;
using System.Globalization;
using System.Text;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;
using AgentCrm.Intake;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Server;

/// <summary>The list parameters every paged endpoint shares (API.md): <c>limit</c>, <c>cursor</c> and <c>since</c>, with their errors.</summary>
internal static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    /// <summary>
    /// The lists paged by a sequence number, each with its own cursor prefix: a cursor from one list given to another is
    /// refused (naming <c>cursor</c>) instead of answering a page of the wrong list.
    /// </summary>
    public const string Briefs = "b:", Reviews = "r:", Audit = "a:", DeadLetters = "d:";

    /// <summary>Index entries a <see cref="SeqFloor"/> reads at most before it gives up bounding the list.</summary>
    public const int SeqFloorProbe = 10_000;

    /// <summary>
    /// SQL for a lower bound on the <c>seq</c> of the rows of <paramref name="table"/> that meet <paramref name="condition"/>,
    /// read through <paramref name="index"/>: a list filtered by a condition few recent rows meet (since a recent or future
    /// time, a rare subject prefix) otherwise walks the whole table newest first. With fewer than <see cref="SeqFloorProbe"/>
    /// matches it is their lowest seq (none: null, so nothing), with more 0 (no bound: the many matches end the walk early).
    /// The list keeps the condition itself, so the bound only ever spares rows that cannot match.
    /// </summary>
    public static string SeqFloor(string table, string index, string condition) =>
        $"(SELECT CASE WHEN count(*) < {SeqFloorProbe} THEN min(seq) ELSE 0 END FROM (SELECT seq FROM {table} INDEXED BY {index} WHERE {condition} LIMIT {SeqFloorProbe}))";

    /// <summary>How many to return; problems go into <paramref name="errors"/>.</summary>
    public static int Limit(string? limit, IDictionary<string, string[]> errors) =>
        QueryNumbers.Read(limit, "limit", 1, MaxLimit, errors) ?? DefaultLimit;

    /// <summary>How many to return and the sequence to continue after in the list of <paramref name="list"/>; problems go into <paramref name="errors"/>.</summary>
    public static (int Take, long? After) Read(string? limit, string? cursor, string list, IDictionary<string, string[]> errors)
    {
        var take = Limit(limit, errors);
        long? after = null;
        if (cursor is not null)
        {
            if (TryDecodeCursor(cursor, list, out var position) && long.TryParse(position, CultureInfo.InvariantCulture, out var seq) && seq > 0)
                after = seq;
            else
                errors["cursor"] = ["cursor is not one this server issued for this list."];
        }
        return (take, after);
    }

    /// <summary>The cursor after sequence number <paramref name="seq"/> in the list of <paramref name="list"/>.</summary>
    public static string SeqCursor(string list, long seq) => EncodeCursor(list, seq.ToString(CultureInfo.InvariantCulture));

    /// <summary>A cursor: <paramref name="prefix"/> (which list it belongs to) and the position, as unpadded base64url.</summary>
    public static string EncodeCursor(string prefix, string position) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(prefix + position));

    /// <summary>The position in a cursor this server issued for the list of <paramref name="prefix"/>; false for any other text.</summary>
    public static bool TryDecodeCursor(string cursor, string prefix, out string position)
    {
        position = "";
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            if (!text.StartsWith(prefix, StringComparison.Ordinal) || text.Length == prefix.Length)
                return false;
            position = text[prefix.Length..];
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static DateTimeOffset? Since(string? since, IDictionary<string, string[]> errors)
    {
        if (since is null)
            return null;
        if (EventParser.TryParseTimestamp(since, out var t))
            return t;
        // A '+' sent unencoded in a query string arrives as a space: '…T22:20:00 01:00' was meant as '+01:00'.
        errors["since"] = [EventTimes.IsWellFormed(since) ? $"since '{Problems.Clip(since, 40)}' {EventTimes.NoSuchInstant}."
            : System.Text.RegularExpressions.Regex.IsMatch(since, @"\d \d{2}(:?\d{2})?\z")
            ? "since must be an ISO 8601 timestamp with a time zone; a '+' in a query string is read as a space: send it as %2B (e.g. 2026-12-05T22:20:00%2B01:00)."
            : "since must be an ISO 8601 timestamp with a time zone, e.g. 2026-11-01T00:00:00Z."];
        return null;
    }
}

/// <summary>
/// Pages a list keyed by a unique name (agents, case sets, knowledge documents) with the limits and errors of
/// <see cref="Paging.Read"/>; its cursor is the last name returned, so adding or removing entries between pages
/// neither skips nor repeats the others.
/// </summary>
internal static class NamedPage
{
    /// <summary>The lists paged by name, each with its own cursor prefix (a cursor from one given to another is refused).</summary>
    public const string Agents = "na:", CaseSets = "nc:", Documents = "nd:", Webhooks = "nw:";

    public static Results<Ok<ItemsPage<T>>, ProblemHttpResult> Of<T>(IEnumerable<T> items, Func<T, string> name, string? limit, string? cursor, string list)
    {
        var errors = new Dictionary<string, string[]>();
        var take = Paging.Limit(limit, errors);
        string? after = null;
        if (cursor is not null && !Paging.TryDecodeCursor(cursor, list, out after))
            errors["cursor"] = ["cursor is not one this server issued for this list."];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        var page = items.Where(i => after is null || string.CompareOrdinal(name(i), after) > 0)
            .OrderBy(name, StringComparer.Ordinal).Take(take + 1).ToList();
        var more = page.Count > take;
        if (more)
            page.RemoveAt(page.Count - 1);
        return TypedResults.Ok(new ItemsPage<T>(page, more ? Paging.EncodeCursor(list, name(page[^1])) : null));
    }
}
