using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Agents.Rules;
using AgentCrm.Briefs;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// A rules brief whose templates cannot be written again without the customer's identity (the text without the name passes
/// the rendering limit: "unknown" is longer than "BP"): it is written again with the identity held in place and the id where
/// it stood, so no form of the name stays and no ordinary word is cut (qa43e F1, rev43d M2, rev43e).
/// </summary>
public sealed class BriefNamingPastTheLimitTests
{
    private static Brief Stored(string? name, string headline, string body, IReadOnlyDictionary<string, object?> inputs, IReadOnlyList<Reason> reasons, double score) =>
        BriefNamingTests.Stored(name, headline, body, inputs, reasons) with { Score = score, Threshold = 0.5 };

    /// <summary>What the live agent writes for these inputs, stored as the server stores it (the composer's template).</summary>
    private static Brief Written(AgentManifest manifest, string name, string inputsJson)
    {
        var inputs = JsonSerializer.Deserialize<Dictionary<string, object?>>(inputsJson)!;
        var brief = Stored(name, "", "", inputs, [], 0);
        var read = StoredFields.Snapshot(brief);
        var assessment = new RulesKind().Assess(manifest, read, read) ?? throw new InvalidOperationException("the named render failed");
        Assert.True(assessment.Fired);
        var (headline, body) = BriefComposer.Template(manifest, name, assessment, []);
        return brief with { Headline = headline, Body = body, Reasons = assessment.Reasons, Score = assessment.Score };
    }

    private static void AssertNoName(Brief unnamed, string name)
    {
        var texts = unnamed.Reasons.Select(r => r.Explanation).Append(unnamed.Headline).Append(unnamed.Body).ToList();
        foreach (var text in texts)
            Assert.DoesNotContain(name, text, StringComparison.OrdinalIgnoreCase);
    }

    // qa43e F1, a short name too (rev43e M1): the limit is reached by a short name ("unknown" is longer than "BP"), and a
    // whole-word scrub left "{profile.name}s", "_team" and the name twice with nothing between.
    private static readonly AgentManifest Long = ManifestReader.Read("""
        {"id":"probe","version":"1.0.0","kind":"rules","scenario":"renewal-risk","subscribes":["support_ticket"],"reads":["tickets.open"],
         "optionalReads":["profile.name"],"purpose":"customer-success","threshold":0.5,
         "rules":{"conditions":[{"name":"t","when":"tickets.open >= 1","weight":0.6,"explain":"{profile.name}s inbox has {tickets.open} open tickets"},
                                {"name":"pad","when":"tickets.open >= 1","weight":0.1,"explain":"{repeat(coalesce(profile.name, 'a customer without a name'), 200)}"}],
                  "brief":{"headline":"Check {profile.name}s account","nextStep":"Write to the {profile.name}_team list"}}}
        """, "application/json");

    [Theory]
    [InlineData("Acm")]
    [InlineData("BP")]
    [InlineData("Globex")]
    public void PastTheLimit_AShortNameInADerivedForm_IsTakenOut(string name)
    {
        var brief = Written(Long, name, $$"""{"profile.name":"{{name}}","tickets.open":1}""");

        var unnamed = BriefNaming.Unnamed(brief, Long, new RulesKind());

        AssertNoName(unnamed, name);
    }

    /// <summary>
    /// A chat model was given the templates' text with the name in it ("Globexs inbox", "Globex_team") and may quote it: its
    /// headline and body lose those forms too (rev43f M1).
    /// </summary>
    [Fact]
    public void PastTheLimit_AModelsHeadlineAndBody_QuotingTheTemplatesText_LoseTheNameInItsDerivedForms()
    {
        var brief = Written(Long, "Globex", """{"profile.name":"Globex","tickets.open":1}""") with
        {
            Headline = "Globexs inbox needs attention",
            Body = "Globexs inbox has 1 open tickets. Write to the Globex_team list.",
        };

        var unnamed = BriefNaming.Unnamed(brief, Long, new RulesKind());

        AssertNoName(unnamed, "Globex");
        Assert.Equal("qa-0004s inbox needs attention", unnamed.Headline);
    }

    /// <summary>The id is written as it is where the name stood, "$" and all (rev43f L1: it was read as a replacement pattern).</summary>
    [Fact]
    public void PastTheLimit_AnIdWithADollarSign_IsWrittenAsItIs()
    {
        var brief = Written(Long, "BP", """{"profile.name":"BP","tickets.open":1}""") with { CustomerId = "acct$0" };

        var unnamed = BriefNaming.Unnamed(brief, Long, new RulesKind());

        Assert.StartsWith("acct$0s inbox has 1 open tickets", unnamed.Reasons[0].Explanation, StringComparison.Ordinal);
    }

    // A name with a space rendered lower-cased, or in a URL.
    private static readonly AgentManifest LongUrl = ManifestReader.Read("""
        {"id":"probe","version":"1.0.0","kind":"rules","scenario":"renewal-risk","subscribes":["support_ticket"],"reads":["tickets.open"],
         "optionalReads":["profile.name"],"purpose":"customer-success","threshold":0.5,
         "rules":{"conditions":[{"name":"t","when":"tickets.open >= 1","weight":0.6,"explain":"see https://crm.example/{lower(profile.name)}/tickets and https://{lower(profile.name)}s.example"},
                                {"name":"pad","when":"tickets.open >= 1","weight":0.1,"explain":"{repeat(coalesce(profile.name, 'a customer without a name'), 200)}"}],
                  "brief":{"nextStep":"Open https://crm.example/c?name={profile.name}"}}}
        """, "application/json");

    [Theory]
    [InlineData("Acme Co")]
    [InlineData("Acme\u00a0Co")]
    public void PastTheLimit_ANameWithASpace_LowerCasedOrInAUrl_IsTakenOut(string name)
    {
        var brief = Written(LongUrl, name, $$"""{"profile.name":"{{name}}","tickets.open":1}""");

        var unnamed = BriefNaming.Unnamed(brief, LongUrl, new RulesKind());

        AssertNoName(unnamed, "acme");
    }

    // A condition on the identity itself. The unnamed render evaluates the conditions on the named snapshot (only
    // the texts come from the unnamed one), so the number of reasons cannot change and the templates write the brief again.
    private static readonly AgentManifest Counted = ManifestReader.Read("""
        {"id":"probe","version":"1.0.0","kind":"rules","scenario":"renewal-risk","subscribes":["support_ticket"],"reads":["tickets.open"],
         "optionalReads":["profile.name"],"purpose":"customer-success","threshold":0.5,
         "rules":{"conditions":[{"name":"t","when":"tickets.open >= 1","weight":0.6,"explain":"{profile.name}s inbox has {tickets.open} open tickets; write to {lower(profile.name)}"},
                                {"name":"named","when":"exists(profile.name)","weight":0.1,"explain":"a named account"}],
                  "brief":{"headline":"Check {profile.name}s account","nextStep":"Write to the {lower(profile.name)}_team list"}}}
        """, "application/json");

    [Fact]
    public void AConditionOnTheName_ChangesTheNumberOfReasons_TheNameStillGoes()
    {
        var brief = Written(Counted, "Globex", """{"profile.name":"Globex","tickets.open":1}""");

        var unnamed = BriefNaming.Unnamed(brief, Counted, new RulesKind());

        AssertNoName(unnamed, "Globex");
    }

    // rev43d M2, rev43e L1: past the limit another profile.* text is not cut out of words: a profile.industry "Health" left
    // "unhealthy" as "unqa-0004y".
    private static readonly AgentManifest LongIndustry = ManifestReader.Read("""
        {"id":"probe","version":"1.0.0","kind":"rules","scenario":"renewal-risk","subscribes":["support_ticket"],"reads":["tickets.open"],
         "optionalReads":["profile.name","profile.industry"],"purpose":"customer-success","threshold":0.5,
         "rules":{"conditions":[{"name":"t","when":"tickets.open >= 1","weight":0.6,"explain":"{profile.name} has {tickets.open} open tickets; the account looks unhealthy"},
                                {"name":"pad","when":"tickets.open >= 1","weight":0.1,"explain":"{repeat(coalesce(profile.name, 'a customer without a name'), 200)}"}],
                  "brief":{"nextStep":"Ask for a healthcheck"}}}
        """, "application/json");

    [Fact]
    public void PastTheLimit_AnIndustryOfFourLetters_IsNotCutOutOfOrdinaryWords()
    {
        var brief = Written(LongIndustry, "Globex", """{"profile.name":"Globex","profile.industry":"Health","tickets.open":1}""");

        var unnamed = BriefNaming.Unnamed(brief, LongIndustry, new RulesKind());

        Assert.Equal("qa-0004 has 1 open tickets; the account looks unhealthy", unnamed.Reasons[0].Explanation);
        Assert.Contains("Next step: Ask for a healthcheck", unnamed.Body, StringComparison.Ordinal);
    }

    // rev43e L2: past the limit a value reads the same in a reason and in the inputs (the reason's was scrubbed inside words).
    private static readonly AgentManifest LongPage = ManifestReader.Read("""
        {"id":"probe","version":"1.0.0","kind":"rules","scenario":"renewal-risk","subscribes":["support_ticket"],"reads":["tickets.open","web.lastPage"],
         "optionalReads":["profile.name"],"purpose":"customer-success","threshold":0.5,
         "rules":{"conditions":[{"name":"t","when":"tickets.open >= 1","weight":0.6,"explain":"{profile.name} has tickets"},
                                {"name":"p","when":"exists(web.lastPage)","weight":0.2,"explain":"visited a page"},
                                {"name":"pad","when":"tickets.open >= 1","weight":0.1,"explain":"{repeat(coalesce(profile.name, 'a customer without a name'), 200)}"}]}}
        """, "application/json");

    [Fact]
    public void PastTheLimit_AValueReadsTheSameInReasonsAndInputs()
    {
        var brief = Written(LongPage, "Globex", """{"profile.name":"Globex","web.lastPage":"globexs pricing","tickets.open":1}""");

        var unnamed = BriefNaming.Unnamed(brief, LongPage, new RulesKind());

        var reason = unnamed.Reasons.Single(r => r.Field == "web.lastPage");
        Assert.Equal(unnamed.Inputs["web.lastPage"]?.ToString(), reason.Value?.ToString());
    }
}
