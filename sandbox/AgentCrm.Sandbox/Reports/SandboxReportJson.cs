using System.Text.Json;

namespace AgentCrm.Sandbox.Reports;

/// <summary>The report's JSON form: web defaults (camelCase), as the API and <c>--json</c> print it.</summary>
public static class SandboxReportJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Serialize(SandboxReport report) => JsonSerializer.Serialize(report, Options);

    public static SandboxReport Deserialize(string json) =>
        JsonSerializer.Deserialize<SandboxReport>(json, Options) ?? throw new JsonException("The report JSON is null.");
}
