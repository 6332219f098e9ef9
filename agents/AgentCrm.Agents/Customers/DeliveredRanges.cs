namespace AgentCrm.Agents.Customers;

/// <summary>A closed range of delivery numbers, <see cref="From"/> to <see cref="To"/>.</summary>
public sealed record SeqRange(long From, long To);

/// <summary>
/// The delivery numbers a customer's actor has applied from one source (an intake instance numbering each customer's
/// events 1, 2, 3, … as it accepts them), kept as sorted, merged ranges: exact duplicate detection for redeliveries of any
/// age, in a few bytes as long as deliveries are roughly in order (every gap is one more range).
/// </summary>
public static class DeliveredRanges
{
    /// <summary>Most ranges kept per source; beyond it the oldest is forgotten (a redelivery that old would apply again).</summary>
    public const int MaxRanges = 256;

    public static bool Contains(List<SeqRange> ranges, long n)
    {
        int lo = 0, hi = ranges.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var r = ranges[mid];
            if (n < r.From)
                hi = mid - 1;
            else if (n > r.To)
                lo = mid + 1;
            else
                return true;
        }
        return false;
    }

    /// <summary>Adds <paramref name="n"/> (not already contained), merging with the neighbouring ranges it touches.</summary>
    public static void Add(List<SeqRange> ranges, long n)
    {
        // The first range that starts after n.
        int lo = 0, hi = ranges.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (ranges[mid].From > n)
                hi = mid;
            else
                lo = mid + 1;
        }
        var next = lo;
        var joinsPrevious = next > 0 && ranges[next - 1].To == n - 1;
        var joinsNext = next < ranges.Count && ranges[next].From == n + 1;
        if (joinsPrevious && joinsNext)
        {
            ranges[next - 1] = new SeqRange(ranges[next - 1].From, ranges[next].To);
            ranges.RemoveAt(next);
        }
        else if (joinsPrevious)
            ranges[next - 1] = ranges[next - 1] with { To = n };
        else if (joinsNext)
            ranges[next] = ranges[next] with { From = n };
        else
        {
            ranges.Insert(next, new SeqRange(n, n));
            if (ranges.Count > MaxRanges)
                ranges.RemoveAt(0);
        }
    }
}
