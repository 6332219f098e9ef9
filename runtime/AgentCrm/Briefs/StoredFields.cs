using System.Text.Json;
using AgentCrm.Agents;

namespace AgentCrm.Briefs;

/// <summary>
/// Snapshot fields as a brief stores what its agent read (<see cref="Brief.Inputs"/>, a feedback case's fields), read back
/// into fields an agent reads again: a number or a text, as JSON from SQLite or as the composer held it.
/// </summary>
internal static class StoredFields
{
    public static SnapshotField Field(string name, object? value) => value switch
    {
        JsonElement { ValueKind: JsonValueKind.Number } e => SnapshotField.Of(name, e.GetDouble()),
        JsonElement { ValueKind: JsonValueKind.String } e => SnapshotField.Of(name, e.GetString()!),
        JsonElement { ValueKind: JsonValueKind.True } or true => SnapshotField.Of(name, 1),
        JsonElement { ValueKind: JsonValueKind.False } or false => SnapshotField.Of(name, 0),
        double d => SnapshotField.Of(name, d),
        string s => SnapshotField.Of(name, s),
        _ => new SnapshotField(name, null, null, []),
    };

    /// <summary>The snapshot <paramref name="brief"/>'s agent read.</summary>
    public static CustomerSnapshot Snapshot(Brief brief) =>
        new(brief.CustomerId, brief.AsOf, brief.Inputs.ToDictionary(f => f.Key, f => Field(f.Key, f.Value), StringComparer.Ordinal));
}
