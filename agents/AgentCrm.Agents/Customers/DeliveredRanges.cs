namespace AgentCrm.Agents.Customers;

/// <summary>A closed range of delivery numbers, <see cref="From"/> to <see cref="To"/>.</summary>
public sealed record SeqRange(long From, long To);

/// <summary>What a customer's actor applied from one source: the numbers' ranges, and when it last applied one (its event count then).</summary>
public sealed class DeliverySource
{
    public List<SeqRange> Ranges { get; set; } = [];

    public long LastUsed { get; set; }
}

/// <summary>
/// The delivery numbers a customer's actor has applied from one source (an inbox numbering each customer's events 1, 2,
/// 3, … as it accepts them, under an id it draws at every start), kept as sorted, merged ranges: exact duplicate detection
/// for redeliveries of any age and in any order, in a few bytes as long as deliveries come roughly in order (every gap is
/// one more range).
/// </summary>
public static class DeliveredRanges
{
    /// <summary>Most ranges kept per source; beyond it the shortest is forgotten (a redelivery of one of its numbers would apply again).</summary>
    public const int MaxRanges = 256;

    /// <summary>Most sources kept per customer; beyond it the one used least recently is forgotten.</summary>
    public const int MaxSources = 16;

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
            {
                // Forgetting can only let an old redelivery apply twice, never drop a new event: forget the least,
                // the shortest range (the oldest among equals), not the long run of everything delivered in order.
                // Never the range just added: that number is being applied now.
                var shortest = -1;
                for (var i = 0; i < ranges.Count; i++)
                    if (i != next && (shortest < 0 || ranges[i].To - ranges[i].From < ranges[shortest].To - ranges[shortest].From))
                        shortest = i;
                ranges.RemoveAt(shortest);
            }
        }
    }
}
