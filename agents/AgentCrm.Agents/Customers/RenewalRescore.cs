namespace AgentCrm.Agents.Customers;

/// <summary>
/// When a customer's renewal risk is scored again without an event: 90, 60 and 30 days before the contract's end, on the
/// clock. The customer actors set a reminder for the next of these after each contract event and after each re-score;
/// the sandbox replays a timeline case's re-scores from the same schedule, with the event times as the clock.
/// </summary>
public static class RenewalRescore
{
    /// <summary>Days before the contract's end a re-score is due, earliest first.</summary>
    public static readonly IReadOnlyList<int> DaysBeforeEnd = [90, 60, 30];

    /// <summary>The longest wait a reminder is set for (daprd cannot hold one due past ~292 years).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromDays(365 * 100);

    /// <summary>
    /// The next re-score after <paramref name="now"/> for a contract ending at <paramref name="end"/>: the first of 90, 60 and
    /// 30 days before it still ahead; null when none is (the end is past or within 30 days) or it is more than
    /// <see cref="MaxWait"/> away (a contract said to end centuries away).
    /// </summary>
    public static DateTimeOffset? NextDue(DateTimeOffset end, DateTimeOffset now)
    {
        // An end already past has no re-score ahead; skipped, not computed, since days before an end in year 1
        // (0001-01-01, a CRM export's empty date) are no date at all.
        if (end <= now)
            return null;
        foreach (var days in DaysBeforeEnd)
        {
            var due = end.AddDays(-days);
            if (due > now && due - now <= MaxWait)
                return due;
        }
        return null;
    }
}
