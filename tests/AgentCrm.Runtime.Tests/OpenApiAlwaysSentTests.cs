using System.Text.Json;

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
    [InlineData("Brief", "id,customerId,customerName,agentId,agentVersion,contentHash,scenario,score,threshold,headline,body,reasons,citations,status,createdAt,degraded,reviewUntil,review,triggerEventId,asOf,inputs")]
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
}
