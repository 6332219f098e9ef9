using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests;

/// <summary>
/// The document against what the server does, where the type alone did not say it (fix35c):
/// a sandbox report and its segments are answered from stored JSON, read into this build's type and written again, so every
/// member the type writes is in every answer — the schemas listed only the <c>required</c> init members, leaving
/// <c>scored</c>, <c>precision</c>, <c>passed</c>, the intervals… optional; and a webhook's <c>secret</c> and a rotation's
/// <c>overlap</c>, refused as <c>null</c> with a 400, were documented as nullable.
/// </summary>
public sealed class OpenApiReportAndRequestSchemaTests
{
    private static JsonElement Schema(JsonElement document, string name) => document.GetProperty("components").GetProperty("schemas").GetProperty(name);

    private static List<string> Required(JsonElement schema) =>
        schema.TryGetProperty("required", out var required) ? [.. required.EnumerateArray().Select(e => e.GetString()!)] : [];

    [Fact]
    public async Task ReportAnswers_CarryEveryMemberTheirSchemasRequire_AlsoAReportStoredWithoutTheMembersLaterBuildsAdded()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var document = await app.GetJsonAsync("/openapi/v1.json");
        var report = Schema(document, "SandboxReport");
        var segment = Schema(document, "SegmentReport");
        // What every answer carries is required: a generated client may read these without a null check.
        Assert.Superset(new HashSet<string> { "erroredCases", "blockedByConsent", "scored", "precision", "recall", "f1", "accuracy", "passed", "unmet", "warnings",
            "precisionInterval", "recallInterval", "f1Interval", "accuracyInterval", "id" }, Required(report).ToHashSet(StringComparer.Ordinal));
        Assert.DoesNotContain("criteria", Required(report));
        Assert.Superset(new HashSet<string> { "cases", "errors", "confusion", "precision", "recall", "f1", "accuracy", "precisionInterval", "recallInterval",
            "f1Interval", "accuracyInterval" }, Required(segment).ToHashSet(StringComparer.Ordinal));

        await app.EvaluateAsync("renewal-risk", "1.0.1");
        var id = (await app.GetJsonAsync("/v1/agents/renewal-risk/versions/1.0.1/reports/latest")).GetProperty("id").GetString()!;
        AssertCarries(report, segment, await app.GetJsonAsync($"/v1/reports/{id}"));

        // The same report as an earlier build stored it, without the members added since: answered with them (their defaults).
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(app.DataDirectory, "agentcrm.db")}"))
        {
            connection.Open();
            using var read = connection.CreateCommand();
            read.CommandText = "SELECT json FROM sandbox_reports WHERE id = $id";
            read.Parameters.AddWithValue("$id", id);
            var stored = JsonNode.Parse((string)read.ExecuteScalar()!)!.AsObject();
            foreach (var later in new[] { "erroredCases", "blockedByConsent", "warnings", "unmet", "passed", "criteria" })
                stored.Remove(later);
            using var write = connection.CreateCommand();
            write.CommandText = "UPDATE sandbox_reports SET json = $json WHERE id = $id";
            write.Parameters.AddWithValue("$json", stored.ToJsonString());
            write.Parameters.AddWithValue("$id", id);
            Assert.Equal(1, write.ExecuteNonQuery());
        }
        var older = await app.GetJsonAsync($"/v1/reports/{id}");
        AssertCarries(report, segment, older);
        Assert.Equal(0, older.GetProperty("warnings").GetArrayLength());
    }

    private static void AssertCarries(JsonElement report, JsonElement segment, JsonElement answer)
    {
        foreach (var member in Required(report))
            Assert.True(answer.TryGetProperty(member, out _), $"the report answer lacks {member}, which its schema requires");
        var segments = answer.GetProperty("perSegment").EnumerateObject().ToList();
        Assert.NotEmpty(segments);
        foreach (var one in segments)
            foreach (var member in Required(segment))
                Assert.True(one.Value.TryGetProperty(member, out _), $"segment {one.Name} lacks {member}, which its schema requires");
    }

    [Theory]
    [InlineData("WebhookRequest", "secret")]
    [InlineData("WebhookSecretRequest", "secret")]
    [InlineData("WebhookSecretRequest", "overlap")]
    public async Task AFieldRefusedAsNull_IsNotNullableInItsRequestSchema(string schema, string field)
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Webhooks:AllowPrivateAddresses"] = "true" });
        var document = await app.GetJsonAsync("/openapi/v1.json");
        var type = Schema(document, schema).GetProperty("properties").GetProperty(field).GetProperty("type");
        Assert.Equal("string", type.ValueKind == JsonValueKind.Array ? string.Join("|", type.EnumerateArray().Select(t => t.GetString())) : type.GetString());

        // What the schema now says is what the server does: null is a 400 naming the field, nothing created or rotated.
        var created = await app.Client.PostAsync("/v1/webhooks", Json(new JsonObject { ["url"] = "http://127.0.0.1:9/hook" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var hook = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        var body = schema == "WebhookRequest" ? new JsonObject { ["url"] = "http://127.0.0.1:9/other", [field] = null } : new JsonObject { [field] = null };
        using var refused = await app.Client.PostAsync(schema == "WebhookRequest" ? "/v1/webhooks" : $"/v1/webhooks/{hook}/secret", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True(JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty(field, out _));
    }

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");
}
