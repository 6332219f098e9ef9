using System.Text.Json;

namespace AgentCrm.Sandbox.Reports;

/// <summary>The report's JSON form: web defaults (camelCase), as the API and <c>--json</c> print it.</summary>
public static class SandboxReportJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Serialize(SandboxReport report) => JsonSerializer.Serialize(report, Options);

    /// <summary>
    /// The report as a JSON object to add to (its id first). Parsed rather than built with SerializeToNode: the web options
    /// read names case-insensitively, and a node built with them takes segments "Basic" and "basic" for one key and throws.
    /// </summary>
    public static System.Text.Json.Nodes.JsonObject ToObject(SandboxReport report, JsonSerializerOptions? options = null) =>
        System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(report, options ?? Options))!.AsObject();

    public static SandboxReport Deserialize(string json) =>
        JsonSerializer.Deserialize<SandboxReport>(json, Options) ?? throw new JsonException("The report JSON is null.");
}
