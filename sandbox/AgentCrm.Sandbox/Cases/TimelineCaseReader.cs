using System.Globalization;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Sandbox.Cases;

/// <summary>
/// Timeline cases: NDJSON events in the API's format plus a labels CSV (<c>customerId,cutoff,label</c>
/// and an optional <c>segment</c>). Each label row folds that customer's events up to and including
/// the cutoff through the same <see cref="CustomerTimeline.Apply"/> and <see cref="SnapshotBuilder.Build"/>
/// the customer actors run: the case's <see cref="Case.Snapshot"/> is the customer at the cutoff, and its
/// <see cref="Case.Timeline"/> the events a replay judges turn by turn, as the live agent would have judged them.
/// </summary>
internal static partial class TimelineCaseReader
{
    private static readonly string[] EventProperties = ["id", "customerId", "type", "occurredAt", "source", "attributes"];
    private static readonly string[] LabelColumns = ["customerId", "cutoff", "label", "segment"];
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    public static List<Case> Read(string eventsText, string eventsFile, CsvTable labels, string labelsFile)
    {
        var events = ReadEvents(eventsText, eventsFile);
        var byCustomer = events
            .GroupBy(e => e.Event.CustomerId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(e => e.Event.OccurredAt).ThenBy(e => e.Line).Select(e => e.Event).ToList(), StringComparer.Ordinal);

        foreach (var column in labels.Header)
            if (!LabelColumns.Contains(column, StringComparer.Ordinal))
                throw new CaseSetException(labelsFile, 1, column, $"unknown column; a labels file has {string.Join(", ", LabelColumns)} (segment optional).");
        int Required(string column) => labels.IndexOf(column) is var i and >= 0
            ? i
            : throw new CaseSetException(labelsFile, 1, null, $"the header has no '{column}' column; a labels file has customerId,cutoff,label.");
        var customerColumn = Required("customerId");
        var cutoffColumn = Required("cutoff");
        var labelColumn = Required("label");
        var segmentColumn = labels.IndexOf("segment");

        var cases = new List<Case>(labels.Rows.Count);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in labels.Rows)
        {
            CaseSetException Error(int column, string problem) => new(labelsFile, row.Line, labels.Header[column], problem);
            var customerId = row.Values[customerColumn].Trim();
            if (customerId.Length == 0)
                throw Error(customerColumn, "missing customer id.");
            // A customer without events is a case with an empty timeline, as is one whose events all come after the cutoff.
            var timeline = byCustomer.GetValueOrDefault(customerId) ?? [];
            var rawCutoff = row.Values[cutoffColumn].Trim();
            if (!TryTimestamp(rawCutoff, out var cutoff) && !TryDate(rawCutoff, out cutoff))
                throw Error(cutoffColumn, $"'{rawCutoff}' is not an ISO 8601 timestamp with a time zone (or a date, meaning midnight UTC).");
            var label = row.Values[labelColumn].Trim().ToLowerInvariant() switch
            {
                "1" or "true" or "yes" => true,
                "0" or "false" or "no" => false,
                "" => throw Error(labelColumn, "missing label value."),
                var other => throw Error(labelColumn, $"label '{other}' is not 1/0, true/false or yes/no."),
            };
            // Exact to the tick: two cutoffs within one second are two cases (a whole second is written without a fraction).
            var caseId = $"{customerId}@{cutoff.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)}";
            if (!seen.TryAdd(caseId, row.Line))
                throw Error(cutoffColumn, $"customer '{customerId}' already has a label at this cutoff (line {seen[caseId]}).");

            var state = new CustomerState { CustomerId = customerId };
            var upToCutoff = 0;
            foreach (var e in timeline)
            {
                if (e.OccurredAt > cutoff)
                    break;
                CustomerTimeline.Apply(state, e);
                upToCutoff++;
            }
            var snapshot = SnapshotBuilder.Build(state, cutoff);
            var segment = segmentColumn >= 0 && row.Values[segmentColumn].Trim() is { Length: > 0 } s ? s : snapshot.Text("profile.segment");
            // The replay judges the case as live turns would have (TimelineTurns), from the events themselves.
            cases.Add(new Case(caseId, snapshot, label, segment) { Timeline = new CaseTimeline(timeline.GetRange(0, upToCutoff), cutoff) });
        }
        return cases;
    }

    private static List<(CrmEvent Event, int Line)> ReadEvents(string text, string file)
    {
        var events = new List<(CrmEvent, int)>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (line.Trim().Length == 0)
                continue;
            var e = ReadEvent(line, file, lineNumber);
            if (ids.TryGetValue(e.Id, out var first))
            {
                // Intake's rule (POST /v1/events): the id is the idempotency key, so the same event again is a duplicate, skipped;
                // the id with other content is refused, naming both lines and what differs.
                if (Changed(events[first].Item1, e) is not { } changed)
                    continue;
                throw new CaseSetException(file, lineNumber, null,
                    $"event id '{e.Id}' was used on line {events[first].Item2} for another event: its {string.Join(", ", changed)} {(changed.Count > 1 || changed[0] == "attributes" ? "differ" : "differs")}; the id is the event's idempotency key, so a changed event needs a new id (a line repeated exactly is skipped, as intake counts it a duplicate).");
            }
            ids[e.Id] = events.Count;
            events.Add((e, lineNumber));
        }
        if (events.Count == 0)
            throw new CaseSetException(file, null, null, "the file is empty; expected one JSON event per line.");
        return events;
    }

    /// <summary>The fields in which <paramref name="again"/> differs from <paramref name="first"/>, as intake compares a reused id's event; null when it is the same event.</summary>
    private static List<string>? Changed(CrmEvent first, CrmEvent again)
    {
        var changed = new List<string>();
        if (!string.Equals(first.CustomerId, again.CustomerId, StringComparison.Ordinal))
            changed.Add("customerId");
        if (!string.Equals(first.Type, again.Type, StringComparison.Ordinal))
            changed.Add("type");
        if (first.OccurredAt != again.OccurredAt)
            changed.Add("occurredAt");
        if (!string.Equals(first.Source, again.Source, StringComparison.Ordinal))
            changed.Add("source");
        if (!JsonElement.DeepEquals(first.Attributes, again.Attributes))
            changed.Add("attributes");
        return changed.Count == 0 ? null : changed;
    }

    private static CrmEvent ReadEvent(string json, string file, int line)
    {
        CaseSetException Error(string problem) => new(file, line, null, problem);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = SafeYaml.MaxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            // A duplicate property is found once the value is parsed: the reader names no byte then, only the line.
            var message = ex.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0];
            throw Error(ex.BytePositionInLine is { } position ? $"malformed JSON at byte {position + 1}: {message}" : $"malformed JSON: {message}");
        }
        using (doc)
        {
            var e = doc.RootElement;
            if (e.ValueKind != JsonValueKind.Object)
                throw Error("an event must be a JSON object.");
            if (JsonText.Find(System.Text.Encoding.UTF8.GetBytes(json)) is not null)
                throw Error("a string or property name is not valid UTF-8 text (an unpaired \\u surrogate escape); send UTF-8.");
            foreach (var p in e.EnumerateObject())
                if (!EventProperties.Contains(p.Name, StringComparer.Ordinal))
                    throw Error($"unknown property '{p.Name}'; an event has {string.Join(", ", EventProperties)}.");
            string Required(string name) =>
                e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { } s && s.Trim().Length > 0
                    ? s
                    : throw Error($"{name} is required and must be a non-empty string.");
            // Intake's rules of ids: a customer id intake would refuse (" acme", a zero-width space) is no customer a replay can stand for.
            string Checked(string name, Func<string, string?> rule) =>
                Required(name) is var value && EventIds.LengthProblem(name, value) is { } tooLong ? throw Error(tooLong)
                : rule(value) is { } problem ? throw Error(problem) : value;
            var id = Checked("id", EventIds.IdProblem);
            var customerId = Checked("customerId", EventIds.CustomerIdProblem);
            var type = Required("type");
            if (!EventTypes.IsKnown(type))
                throw Error($"unknown event type '{type}'; allowed: {string.Join(", ", EventTypes.All)}.");
            var rawAt = Required("occurredAt");
            if (!TryTimestamp(rawAt, out var occurredAt))
                throw Error(EventTimes.IsWellFormed(rawAt) ? $"occurredAt '{rawAt}' {EventTimes.NoSuchInstant}."
                    : $"occurredAt '{rawAt}' is not an ISO 8601 timestamp with a time zone, e.g. 2026-11-02T09:30:00Z.");
            string? source = null;
            if (e.TryGetProperty("source", out var src) && src.ValueKind != JsonValueKind.Null)
                source = src.ValueKind != JsonValueKind.String ? throw Error("source must be a string.")
                    : EventIds.SourceProblem(src.GetString()!) is { } sourceProblem ? throw Error(sourceProblem) : src.GetString();
            var attributes = EmptyObject;
            if (e.TryGetProperty("attributes", out var a) && a.ValueKind != JsonValueKind.Null)
                attributes = a.ValueKind == JsonValueKind.Object ? a.Clone() : throw Error("attributes must be a JSON object.");
            // The same attribute rules as intake: a replay must not read what intake would refuse.
            if (EventAttributes.Problems(type, attributes).FirstOrDefault() is { Problem: { } problem })
                throw Error($"attributes.{problem}");
            return new CrmEvent(id, customerId, type, occurredAt, source, attributes);
        }
    }

    /// <summary>Read as live intake reads it (<see cref="EventTimes.TryParseTimestamp"/>: 8-9 fractional digits truncated, not rounded).</summary>
    private static bool TryTimestamp(string raw, out DateTimeOffset value) => EventTimes.TryParseTimestamp(raw, out value);

    private static bool TryDate(string raw, out DateTimeOffset value)
    {
        var ok = DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date);
        value = ok ? new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : default;
        return ok;
    }
}
