using System.Text.Json;

namespace AgentCrm.Agents.Customers;

/// <summary>A CRM signal as intake accepted it (API.md, "Events").</summary>
public sealed record CrmEvent(string Id, string CustomerId, string Type, DateTimeOffset OccurredAt, string? Source, JsonElement Attributes)
{
    public string? Str(string name) =>
        Attributes.ValueKind == JsonValueKind.Object && Attributes.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
                _ => null,
            }
            : null;

    public double? Num(string name)
    {
        if (Attributes.ValueKind != JsonValueKind.Object || !Attributes.TryGetProperty(name, out var v))
            return null;
        // Numbers past EventAttributes.MaxMagnitude (refused at intake; an event stored before that rule) read as absent.
        return v.ValueKind switch
        {
            JsonValueKind.Number or JsonValueKind.String => EventAttributes.Number(v),
            JsonValueKind.True => 1,
            JsonValueKind.False => 0,
            _ => null,
        };
    }

    public DateTimeOffset? Date(string name) =>
        Str(name) is { } s && DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var d) ? d : null;
}
