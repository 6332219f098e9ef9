using System.Text.Json;

namespace AgentCrm.Knowledge.Stores.Qdrant;

/// <summary>How a <see cref="KnowledgeRecord"/> is laid out in a Qdrant point: every field but the vector, in snake_case keys.</summary>
internal static class QdrantPayload
{
    public const string RecordId = "record_id";
    public const string DocumentId = "document_id";
    public const string Title = "title";
    public const string Section = "section";
    public const string Kind = "kind";
    public const string Text = "text";
    public const string Tags = "tags";
    public const string Scenario = "scenario";
    public const string Language = "language";
    public const string SourceChunkId = "source_chunk_id";

    /// <summary>The filterable fields (<see cref="SearchFilter"/> and delete-by-document) get keyword indexes.</summary>
    public static readonly string[] IndexedFields = [DocumentId, Tags, Scenario, Language, Kind];

    /// <summary>Writes one <c>PointStruct</c>: <c>{"id": uuid, "vector": [...], "payload": {...}}</c>.</summary>
    public static void WritePoint(Utf8JsonWriter writer, KnowledgeRecord record)
    {
        writer.WriteStartObject();
        writer.WriteString("id", QdrantPointId.For(record));
        writer.WritePropertyName("vector");
        WriteVector(writer, record.Vector);
        writer.WriteStartObject("payload");
        writer.WriteString(RecordId, record.Id);
        writer.WriteString(DocumentId, record.DocumentId);
        writer.WriteString(Title, record.Title);
        writer.WriteString(Section, record.Section);
        writer.WriteString(Kind, record.Kind);
        writer.WriteString(Text, record.Text);
        writer.WriteStartArray(Tags);
        foreach (var tag in record.Tags)
            writer.WriteStringValue(tag);
        writer.WriteEndArray();
        // Nulls are written (not omitted) so a point always carries the full record shape.
        WriteNullable(writer, Scenario, record.Scenario);
        writer.WriteString(Language, record.Language);
        WriteNullable(writer, SourceChunkId, record.SourceChunkId);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Writes the payload keys a document's metadata sets on each of its points (nulls written, as in <see cref="WritePoint"/>).</summary>
    public static void WriteDocumentMetadata(Utf8JsonWriter writer, DocumentMetadata metadata)
    {
        writer.WriteStartObject();
        writer.WriteString(Title, metadata.Title);
        writer.WriteStartArray(Tags);
        foreach (var tag in metadata.Tags)
            writer.WriteStringValue(tag);
        writer.WriteEndArray();
        WriteNullable(writer, Scenario, metadata.Scenario);
        writer.WriteString(Language, metadata.Language);
        writer.WriteEndObject();
    }

    public static void WriteVector(Utf8JsonWriter writer, float[] vector)
    {
        writer.WriteStartArray();
        foreach (var value in vector)
        {
            if (!float.IsFinite(value))
                throw new ArgumentException("Vectors must contain finite numbers only (JSON has no NaN or Infinity).", nameof(vector));
            writer.WriteNumberValue(value);
        }
        writer.WriteEndArray();
    }

    /// <summary>Reads a <c>ScoredPoint</c> back; tolerant of missing keys (points written by other tools) and of an omitted vector.</summary>
    public static KnowledgeRecord ToRecord(JsonElement point)
    {
        var payload = point.TryGetProperty("payload", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var pointId = point.TryGetProperty("id", out var id) ? id.ToString() : "";
        return new KnowledgeRecord(
            Id: GetString(payload, RecordId) ?? pointId,
            DocumentId: GetString(payload, DocumentId) ?? "",
            Title: GetString(payload, Title) ?? "",
            Section: GetString(payload, Section) ?? "",
            Kind: GetString(payload, Kind) ?? "",
            Text: GetString(payload, Text) ?? "",
            Tags: GetStrings(payload, Tags),
            Scenario: GetString(payload, Scenario),
            Language: GetString(payload, Language) ?? "",
            Vector: ReadVector(point),
            SourceChunkId: GetString(payload, SourceChunkId));
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
            writer.WriteNull(name);
        else
            writer.WriteString(name, value);
    }

    private static string? GetString(JsonElement payload, string key) =>
        payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string[] GetStrings(JsonElement payload, string key)
    {
        if (payload.ValueKind != JsonValueKind.Object || !payload.TryGetProperty(key, out var v))
            return [];
        return v.ValueKind switch
        {
            JsonValueKind.Array => [.. v.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)],
            JsonValueKind.String => [v.GetString()!],
            _ => [],
        };
    }

    // Only an unnamed dense vector maps back; null, named or sparse vectors (or none requested) give an empty one.
    private static float[] ReadVector(JsonElement point) =>
        point.TryGetProperty("vector", out var v) && v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number)
            ? [.. v.EnumerateArray().Select(e => e.GetSingle())]
            : [];
}
