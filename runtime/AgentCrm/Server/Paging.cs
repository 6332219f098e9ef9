using AgentCrm.Briefs;
using AgentCrm.Intake;

namespace AgentCrm.Server;

/// <summary>The list parameters every paged endpoint shares (API.md): <c>limit</c>, <c>cursor</c> and <c>since</c>, with their errors.</summary>
internal static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    /// <summary>How many to return and the sequence to continue after; problems go into <paramref name="errors"/>.</summary>
    public static (int Take, long? After) Read(string? limit, string? cursor, IDictionary<string, string[]> errors)
    {
        var take = QueryNumbers.Read(limit, "limit", 1, MaxLimit, errors);
        long? after = null;
        if (cursor is not null)
        {
            if (BriefStore.TryDecodeCursor(cursor, out var seq))
                after = seq;
            else
                errors["cursor"] = ["cursor is not one this server issued."];
        }
        return (take ?? DefaultLimit, after);
    }

    public static DateTimeOffset? Since(string? since, IDictionary<string, string[]> errors)
    {
        if (since is null)
            return null;
        if (EventParser.TryParseTimestamp(since, out var t))
            return t;
        errors["since"] = ["since must be an ISO 8601 timestamp with a time zone, e.g. 2026-11-01T00:00:00Z."];
        return null;
    }
}
