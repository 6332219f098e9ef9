namespace AgentCrm.Sandbox.Cases;

/// <summary>
/// How a tabular file becomes cases: which column is the id, the label and the segment, and how
/// columns map to snapshot fields. It names columns, never positions, so one mapping loads any file
/// with the same header. Every part remembers its line in the mapping file for error messages.
/// </summary>
internal sealed record CaseMapping(
    string Name,
    string Scenario,
    ColumnRef? Id,
    LabelSpec Label,
    SegmentSpec? Segment,
    DateTimeOffset AsOf,
    IReadOnlyList<FieldSpec> Fields)
{
    /// <summary>The column whose value groups cases that must stay on one side of a split (e.g. the document).</summary>
    public ColumnRef? Group { get; init; }

    /// <summary>Further named labels (e.g. per clause category), each a column and its positive values.</summary>
    public IReadOnlyList<NamedLabelSpec> Labels { get; init; } = [];

    /// <summary>Snapshot time of tabular cases when the mapping gives none (fixed, so replays are deterministic).</summary>
    public static readonly DateTimeOffset DefaultAsOf = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
}

internal sealed record ColumnRef(string Column, int Line);

/// <summary>
/// A label: a column and its positive (and, optionally, negative) values; or, with <see cref="Any"/>
/// (<c>label: { any: [ … ] }</c>), positive when any of those column labels is, e.g. "breaks the policy" as
/// "cap missing or uncapped liability or most favored nation".
/// </summary>
internal sealed record LabelSpec(string Column, IReadOnlySet<string> Positive, IReadOnlySet<string>? Negative, int Line)
{
    public IReadOnlyList<LabelSpec> Any { get; init; } = [];
}

internal sealed record NamedLabelSpec(string Name, LabelSpec Label);

internal sealed record SegmentSpec(string Column, IReadOnlyDictionary<string, string> Values, int Line);

internal enum FieldType
{
    Number,
    Text,
}

/// <summary>
/// One column → one snapshot field. Cells are trimmed; <c>missing</c> values leave the field out. With
/// <see cref="Constant"/> (<c>value:</c> instead of <c>column:</c>) every case gets that value, e.g. the
/// document type a whole file shares.
/// </summary>
internal sealed record FieldSpec(
    string Column,
    string Field,
    FieldType Type,
    IReadOnlyDictionary<string, string> Values,
    IReadOnlySet<string> Missing,
    int Line)
{
    public string? Constant { get; init; }
}
