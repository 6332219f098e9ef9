using AgentCrm.Server;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;
using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Intake;

/// <summary>A parsed request: the events to store with their raw JSON, or every problem keyed by JSON path.</summary>
public sealed record ParsedEvents(IReadOnlyList<IncomingEvent> Events, Dictionary<string, string[]> Errors);

/// <summary>
/// An accepted event, its JSON as sent, and where it sits in the request for answers naming it: its path (<c>$</c>, <c>$[3]</c>)
/// and, on an NDJSON line, the prefix its messages start with (<c>line 5: </c>; blank lines make the two differ).
/// </summary>
public sealed record IncomingEvent(CrmEvent Event, string Json, string Path = "$", string Where = "");

/// <summary>
/// Strict parsing of POST /v1/events bodies: one event, a JSON array, or NDJSON. Collects every
/// problem (index and field) instead of stopping at the first, so an integrator fixes a batch at once.
/// </summary>
public static partial class EventParser
{
    private static readonly HashSet<string> KnownProperties = ["id", "customerId", "type", "occurredAt", "source", "attributes"];
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = AgentCrm.Sandbox.Cases.SafeYaml.MaxDepth };

    public static ParsedEvents Parse(ReadOnlyMemory<byte> body, bool ndjson, IntakeOptions options, DateTimeOffset now)
    {
        var events = new List<IncomingEvent>();
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        body = AgentCrm.Server.RequestBody.WithoutBom(body);
        var span = body.Span;
        if (span.IsEmpty || span.Trim(" \t\r\n"u8).IsEmpty)
        {
            errors["$"] = ["The body is empty: send one event, a JSON array of events, or NDJSON."];
            return new(events, errors);
        }

        if (ndjson)
        {
            var index = 0;
            var line = 0;
            var rest = body;
            while (!rest.IsEmpty)
            {
                line++;
                var nl = rest.Span.IndexOf((byte)'\n');
                var current = nl < 0 ? rest : rest[..nl];
                rest = nl < 0 ? ReadOnlyMemory<byte>.Empty : rest[(nl + 1)..];
                if (current.Span.Trim(" \t\r"u8).IsEmpty)
                    continue;
                if (!TooMany(index, options, errors))
                    ParseDocument(current, $"$[{index}]", $"line {line}: ", events, errors, options, now);
                index++;
            }
            if (index == 0)
                errors["$"] = ["The body has no events."];
            return new(events, errors);
        }

        if (JsonText.Find(span) is { } fault)
        {
            errors[fault.Path] = [fault.Message];
            return new(events, errors);
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException ex)
        {
            errors["$"] = [Server.JsonSyntax.Describe(ex, span)];
            return new(events, errors);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                var count = root.GetArrayLength();
                if (count == 0)
                    errors["$"] = ["The array has no events."];
                else if (count > options.MaxEventsPerRequest)
                    errors["$"] = [$"Too many events in one request: {count} (the limit is {options.MaxEventsPerRequest}, setting Intake:MaxEventsPerRequest)."];
                else
                {
                    var i = 0;
                    foreach (var item in root.EnumerateArray())
                        ReadEvent(item, $"$[{i++}]", events, errors, options, now);
                }
            }
            else
                ReadEvent(root, "$", events, errors, options, now);
        }
        return new(events, errors);
    }

    /// <summary>True when the batch limit is exceeded (only the first excess is reported).</summary>
    private static bool TooMany(int index, IntakeOptions options, Dictionary<string, string[]> errors)
    {
        if (index < options.MaxEventsPerRequest)
            return false;
        errors.TryAdd("$", [$"Too many events in one request: more than {options.MaxEventsPerRequest} (setting Intake:MaxEventsPerRequest)."]);
        return true;
    }

    private static void ParseDocument(ReadOnlyMemory<byte> json, string path, string where, List<IncomingEvent> events, Dictionary<string, string[]> errors, IntakeOptions options, DateTimeOffset now)
    {
        if (JsonText.Find(json.Span) is { } fault)
        {
            errors[path + fault.Path[1..]] = [where + fault.Message];
            return;
        }
        try
        {
            using var doc = JsonDocument.Parse(json, DocumentOptions);
            var found = new Dictionary<string, string[]>(StringComparer.Ordinal);
            ReadEvent(doc.RootElement, path, events, found, options, now, where);
            foreach (var (key, messages) in found)
                errors[key] = [.. messages.Select(m => where + m)];
        }
        catch (JsonException ex)
        {
            errors[path] = [where + Server.JsonSyntax.DescribeLine(ex, json.Span)];
        }
    }

    private static void ReadEvent(JsonElement e, string path, List<IncomingEvent> events, Dictionary<string, string[]> errors, IntakeOptions options, DateTimeOffset now, string where = "")
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            errors[path] = [$"An event must be a JSON object, not {Describe(e.ValueKind)}."];
            return;
        }
        var before = errors.Count;
        foreach (var p in e.EnumerateObject())
            if (!KnownProperties.Contains(p.Name))
                errors[$"{path}.{p.Name}"] = [$"Unknown field; an event has {string.Join(", ", KnownProperties)}."];

        var id = RequiredString(e, "id", path, errors);
        if (id is not null && EventIds.IdProblem(id) is { } idProblem)
            errors[$"{path}.id"] = [idProblem];
        var customerId = RequiredString(e, "customerId", path, errors);
        if (customerId is not null && EventIds.CustomerIdProblem(customerId) is { } customerProblem)
            errors[$"{path}.customerId"] = [customerProblem];
        var type = RequiredString(e, "type", path, errors);
        if (type is not null && TypeProblem(type) is { } typeProblem)
            errors[$"{path}.type"] = [typeProblem];

        DateTimeOffset occurredAt = default;
        if (RequiredString(e, "occurredAt", path, errors) is { } raw)
        {
            if (!TryParseTimestamp(raw, out occurredAt))
                errors[$"{path}.occurredAt"] = [EventTimes.IsWellFormed(raw)
                    ? $"'{Problems.Clip(raw, 40)}' {EventTimes.NoSuchInstant}."
                    : $"'{Problems.Clip(raw, 40)}' is not an ISO 8601 timestamp with a time zone, e.g. 2026-11-02T09:30:00Z."];
            else if (occurredAt < options.Earliest)
                errors[$"{path}.occurredAt"] = [$"occurredAt {raw} is before {options.Earliest.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} (Intake:Earliest)."];
            // The difference, not now + skew: that sum overflows past year 9999 for a large skew (an ArgumentOutOfRangeException, a 500).
            else if (occurredAt - now > options.MaxFutureSkew)
                errors[$"{path}.occurredAt"] = [$"occurredAt {raw} is in the future (more than {options.MaxFutureSkew.TotalMinutes:0} minutes ahead of the server clock)."];
        }

        string? source = null;
        if (e.TryGetProperty("source", out var s) && s.ValueKind != JsonValueKind.Null)
        {
            if (s.ValueKind != JsonValueKind.String)
                errors[$"{path}.source"] = ["source must be a string."];
            else if (EventIds.SourceProblem(s.GetString()!) is { } sourceProblem)
                errors[$"{path}.source"] = [sourceProblem];
            else
                source = s.GetString();
        }
        var attributes = default(JsonElement);
        if (e.TryGetProperty("attributes", out var a) && a.ValueKind != JsonValueKind.Null)
        {
            if (a.ValueKind != JsonValueKind.Object)
                errors[$"{path}.attributes"] = ["attributes must be a JSON object."];
            else
                attributes = a.Clone();
        }
        if (type is not null && attributes.ValueKind == JsonValueKind.Object)
            foreach (var (name, problem) in EventAttributes.Problems(type, attributes))
                errors[$"{path}.attributes.{name}"] = [problem];
        if (errors.Count != before)
            return;
        if (attributes.ValueKind == JsonValueKind.Undefined)
            attributes = EmptyObject;
        var occurredAtRaw = e.GetProperty("occurredAt").GetString()!;
        // Kept as every other timestamp reads, 'T' and 'Z' upper case: the stored body is what the evidence shows.
        var json = EventTimes.Normalized(occurredAtRaw) is var normalized && normalized != occurredAtRaw ? WithOccurredAt(e, normalized) : e.GetRawText();
        events.Add(new(new CrmEvent(id!, customerId!, type!, occurredAt, source, attributes), json, path, where));
    }

    /// <summary>The event's JSON with its occurredAt replaced by <paramref name="occurredAt"/>, every other property as sent.</summary>
    private static string WithOccurredAt(JsonElement e, string occurredAt)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        // Escaping no more than JSON needs: the default encoder wrote 'é' as \u00E9 and '+' as \u002B, where a body sent with an
        // upper-case 'T' keeps them as sent (the stored body is what the evidence shows).
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            foreach (var p in e.EnumerateObject())
                if (p.NameEquals("occurredAt"))
                    writer.WriteString("occurredAt", occurredAt);
                else
                    p.WriteTo(writer);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string? TypeProblem(string type) =>
        EventTypes.IsKnown(type) ? null : $"Unknown event type '{type}'; allowed: {string.Join(", ", EventTypes.All)}.";

    /// <summary>
    /// The first rule of intake an already-read event breaks (its ids, its type, its attributes), or null: for events that
    /// arrive another way than <c>POST /v1/events</c> (Dapr pub/sub, where anyone who can publish to the topic can send one).
    /// </summary>
    public static string? Refusal(CrmEvent e) =>
        EventIds.IdProblem(e.Id) ?? EventIds.CustomerIdProblem(e.CustomerId) ?? TypeProblem(e.Type) ?? (e.Source is { } source ? EventIds.SourceProblem(source) : null)
        ?? (e.Attributes.ValueKind == JsonValueKind.Object ? EventAttributes.Problems(e.Type, e.Attributes).Select(p => p.Problem).FirstOrDefault() : null);

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private static string? RequiredString(JsonElement e, string name, string path, Dictionary<string, string[]> errors)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            errors[$"{path}.{name}"] = [$"{name} is required."];
            return null;
        }
        if (v.ValueKind != JsonValueKind.String)
        {
            errors[$"{path}.{name}"] = [$"{name} must be a string, not {Describe(v.ValueKind)}."];
            return null;
        }
        var value = v.GetString()!;
        if (value.Trim().Length == 0)
        {
            errors[$"{path}.{name}"] = [$"{name} must not be empty."];
            return null;
        }
        if (name != "occurredAt" && EventIds.LengthProblem(name, value) is { } tooLong)
        {
            errors[$"{path}.{name}"] = [tooLong];
            return null;
        }
        return value;
    }

    /// <inheritdoc cref="EventTimes.TryParseTimestamp"/>
    public static bool TryParseTimestamp(string raw, out DateTimeOffset value) => EventTimes.TryParseTimestamp(raw, out value);

    /// <inheritdoc cref="EventTimes.TryParseInstant"/>
    internal static bool TryParseInstant(string raw, out DateTimeOffset value) => EventTimes.TryParseInstant(raw, out value);

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    internal static bool IsNdjson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/x-ndjson", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("application/ndjson", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("application/jsonl", StringComparison.OrdinalIgnoreCase));
}
