using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace AgentCrm.Runtime.Tests;

/// <summary>
/// The document lists as <c>required</c> every member an answer always sends (nulls included): a brief's <c>status</c>,
/// <c>score</c>… were optional in it because they have defaults, so a generated client made them all optional.
/// </summary>
public sealed class OpenApiAlwaysSentTests(OpenApiDocumentTests.Document document) : IClassFixture<OpenApiDocumentTests.Document>
{
    private List<string> Required(string schema) =>
        document.Json.GetProperty("components").GetProperty("schemas").GetProperty(schema).TryGetProperty("required", out var required)
            ? [.. required.EnumerateArray().Select(e => e.GetString()!)]
            : [];

    [Theory]
    [InlineData("Brief", "id,customerId,customerName,agentId,agentVersion,contentHash,scenario,score,threshold,headline,body,reasons,citations,citationsFailed,status,createdAt,degraded,reviewUntil,review,triggerEventId,asOf,inputs")]
    [InlineData("BriefCounts", "delivered,pending,vetoed,retracted,shadow,approved,explained,total,reviewable")]
    [InlineData("VersionHealth", "version,state,canaryPercent,evaluations,fired,errors,successRate,briefs,agreement,blockedByConsent,assessLatencyMs,briefStates,vetoRate,approvalRate,explainability,degradedBriefs,citationFailures,csmResponses,usefulRate")]
    public void AnswerSchema_RequiresEveryMemberItAlwaysSends(string schema, string members)
    {
        var required = Required(schema);

        Assert.Equal(members.Split(',').Order(StringComparer.Ordinal), required.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Brief_MyResponse_LeftOutUntilTheReaderResponds_IsNotRequired() =>
        Assert.DoesNotContain("myResponse", Required("Brief"));

    /// <summary>The schema follows a marker, not the <c>required</c> modifier: a brief stored by an older build without these members still loads.</summary>
    [Fact]
    public void StoredBrief_WithoutTheDefaultedMembers_StillLoads()
    {
        const string stored = """{"id":"b1","customerId":"acme","agentId":"renewal-risk","agentVersion":"1.0.0","contentHash":"h","scenario":"renewal","headline":"h","body":"b","triggerEventId":"e1"}""";

        var brief = JsonSerializer.Deserialize<AgentCrm.Briefs.Brief>(stored, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        Assert.Equal("b1", brief.Id);
        Assert.Empty(brief.Reasons);
    }

    /// <summary>
    /// Every answer schema, walked from the document's responses: each member its .NET type always writes (not left out by a
    /// <c>JsonIgnore</c> condition or a should-serialize rule) is <c>required</c>. A record whose constructor parameters have
    /// defaults (<c>ResponseCounts</c>, a version's <c>csmResponses</c>) listed none of them. Schemas a request body also
    /// uses are left out: there <c>required</c> says what the handler refuses without.
    /// </summary>
    [Fact]
    public void EveryAnswerSchema_RequiresEveryMemberItsTypeAlwaysWrites()
    {
        var schemas = document.Json.GetProperty("components").GetProperty("schemas");
        var answered = Reachable(Roots("responses"), schemas);
        var requested = Reachable(Roots("requestBody"), schemas);
        var types = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name?.StartsWith("AgentCrm", StringComparison.OrdinalIgnoreCase) == true && !a.GetName().Name!.Contains("Tests", StringComparison.Ordinal))
            .SelectMany(a => a.GetTypes()).Where(t => !t.IsGenericTypeDefinition && t.IsClass && !t.IsAbstract && !t.IsNested)
            .GroupBy(t => t.Name).Where(g => g.Count() == 1).ToDictionary(g => g.Key, g => g.Single());
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        var checkedSchemas = new List<string>();
        var missing = new List<string>();
        foreach (var name in answered.Except(requested).Order(StringComparer.Ordinal))
        {
            // A ProblemDetails type only describes a problem's members (the framework writes the problem); its own test is OpenApiAnswersTests.
            if (!types.TryGetValue(name, out var type) || typeof(Microsoft.AspNetCore.Mvc.ProblemDetails).IsAssignableFrom(type)
                || options.GetTypeInfo(type) is not { Kind: JsonTypeInfoKind.Object } info)
                continue;
            checkedSchemas.Add(name);
            var required = Required(name);
            foreach (var property in info.Properties.Where(p => p.Get is not null && p.ShouldSerialize is null && !p.IsExtensionData
                && (p.AttributeProvider?.GetCustomAttributes(typeof(JsonIgnoreAttribute), true).OfType<JsonIgnoreAttribute>().FirstOrDefault()?.Condition ?? JsonIgnoreCondition.Never)
                    is not (JsonIgnoreCondition.WhenWritingNull or JsonIgnoreCondition.WhenWritingDefault)))
                if (!required.Contains(property.Name))
                    missing.Add($"{name}.{property.Name}");
        }

        Assert.Contains("ResponseCounts", checkedSchemas);
        Assert.Contains("WebhookView", checkedSchemas);
        // Answered from stored JSON, read into this build's type and written again (OpenApiReportAndRequestSchemaTests).
        Assert.Contains("SandboxReport", checkedSchemas);
        Assert.Contains("SegmentReport", checkedSchemas);
        Assert.True(missing.Count == 0, "always sent but not required: " + string.Join(", ", missing));
    }

    /// <summary>The schemas the document's operations name under <paramref name="part"/> (their responses, or their request bodies).</summary>
    private IEnumerable<JsonElement> Roots(string part)
    {
        foreach (var path in document.Json.GetProperty("paths").EnumerateObject())
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Value.ValueKind == JsonValueKind.Object))
            {
                if (!operation.Value.TryGetProperty(part, out var found))
                    continue;
                var holders = part == "responses" ? found.EnumerateObject().Select(r => r.Value) : [found];
                foreach (var holder in holders)
                    if (holder.TryGetProperty("content", out var content))
                        foreach (var media in content.EnumerateObject())
                            if (media.Value.TryGetProperty("schema", out var schema))
                                yield return schema;
            }
    }

    /// <summary>The names of the component schemas <paramref name="roots"/> reach through <c>$ref</c>, at any depth.</summary>
    private static HashSet<string> Reachable(IEnumerable<JsonElement> roots, JsonElement schemas)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<JsonElement>(roots);
        while (pending.TryPop(out var next))
        {
            if (next.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in next.EnumerateArray())
                    pending.Push(item);
                continue;
            }
            if (next.ValueKind != JsonValueKind.Object)
                continue;
            foreach (var member in next.EnumerateObject())
            {
                if (member.Name == "$ref" && member.Value.GetString() is { } reference && reference.StartsWith("#/components/schemas/", StringComparison.Ordinal))
                {
                    var name = reference["#/components/schemas/".Length..];
                    if (seen.Add(name) && schemas.TryGetProperty(name, out var target))
                        pending.Push(target);
                }
                else
                    pending.Push(member.Value);
            }
        }
        return seen;
    }
}
