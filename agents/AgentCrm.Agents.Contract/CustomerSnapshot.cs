namespace AgentCrm.Agents;

/// <summary>
/// What an agent sees of one customer at one moment: named fields derived from the customer's events.
/// Field names are dotted (<c>contract.daysToEnd</c>, <c>usage.trend30d</c>); absent fields are unknown.
/// </summary>
public sealed class CustomerSnapshot
{
    /// <summary>Creates a snapshot.</summary>
    public CustomerSnapshot(string customerId, DateTimeOffset asOf, IReadOnlyDictionary<string, SnapshotField> fields)
    {
        CustomerId = customerId;
        AsOf = asOf;
        Fields = fields;
    }

    /// <summary>The customer.</summary>
    public string CustomerId { get; }

    /// <summary>The moment the snapshot describes (event time, so replays are deterministic).</summary>
    public DateTimeOffset AsOf { get; }

    /// <summary>Every known field by name.</summary>
    public IReadOnlyDictionary<string, SnapshotField> Fields { get; }

    /// <summary>A numeric field, or null when absent or not numeric.</summary>
    public double? Number(string name) => Fields.TryGetValue(name, out var f) ? f.Number : null;

    /// <summary>A text field, or null when absent or not text.</summary>
    public string? Text(string name) => Fields.TryGetValue(name, out var f) ? f.Text : null;

    /// <summary>The events a field was derived from (empty when unknown).</summary>
    public IReadOnlyList<string> EventIds(string name) => Fields.TryGetValue(name, out var f) ? f.EventIds : [];

    /// <summary>A copy holding only the named fields (what the consent gate lets through).</summary>
    public CustomerSnapshot Only(IEnumerable<string> names)
    {
        // Sized up front (the runtime makes a few of these per agent run): no growing through 3, 7, 17, … entries.
        var kept = new Dictionary<string, SnapshotField>(names.TryGetNonEnumeratedCount(out var count) ? Math.Min(count, Fields.Count) : 0, StringComparer.Ordinal);
        foreach (var name in names)
            if (Fields.TryGetValue(name, out var f))
                kept[name] = f;
        return new CustomerSnapshot(CustomerId, AsOf, kept);
    }
}

/// <summary>One snapshot field: a number or a text, and the ids of the events it came from.</summary>
/// <param name="Name">Dotted field name.</param>
/// <param name="Number">Numeric value (booleans are 0/1).</param>
/// <param name="Text">Text value.</param>
/// <param name="EventIds">Source events, newest last.</param>
public sealed record SnapshotField(string Name, double? Number, string? Text, IReadOnlyList<string> EventIds)
{
    /// <summary>The value as it would be shown: the number or the text.</summary>
    public object? Value => Number is { } n ? n : Text;

    /// <summary>A numeric field.</summary>
    public static SnapshotField Of(string name, double value, params IReadOnlyList<string> eventIds) => new(name, value, null, eventIds);

    /// <summary>A text field.</summary>
    public static SnapshotField Of(string name, string value, params IReadOnlyList<string> eventIds) => new(name, null, value, eventIds);
}
