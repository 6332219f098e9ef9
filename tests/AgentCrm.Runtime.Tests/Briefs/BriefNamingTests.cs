using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Agents.Rules;
using AgentCrm.Briefs;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>A brief rendered without the customer's name, from what is stored (as a chat model or an agent's template may have written it).</summary>
public sealed class BriefNamingTests
{
    internal static Brief Stored(string? name, string headline, string body, IReadOnlyDictionary<string, object?>? inputs = null, IReadOnlyList<Reason>? reasons = null) => new()
    {
        Id = "brf_1",
        CustomerId = "qa-0004",
        CustomerName = name,
        AgentId = "probe",
        AgentVersion = "1.0.0",
        ContentHash = "sha256:0",
        Scenario = "renewal-risk",
        Headline = headline,
        Body = body,
        TriggerEventId = "e-1",
        Inputs = inputs ?? new Dictionary<string, object?>(),
        Reasons = reasons ?? [],
    };

    [Fact]
    public void Unnamed_TheNameInAnyCaseOrSpacing_IsReplacedByTheId_ALongerWordIsLeftAsItIs()
    {
        var brief = Stored("QA Co 4", "Renewal risk 0.91 for QA Co 4 — usage fell",
            "qa  co\n4's usage fell. QA Co 40 and QA Co 4x are other customers. (QA Co 4)");

        var unnamed = BriefNaming.Unnamed(brief);

        Assert.Null(unnamed.CustomerName);
        Assert.Equal("Renewal risk 0.91 for qa-0004 — usage fell", unnamed.Headline);
        Assert.Equal("qa-0004's usage fell. QA Co 40 and QA Co 4x are other customers. (qa-0004)", unnamed.Body);
    }

    [Fact]
    public void Unnamed_IdentityInputsAndReasonValues_AreLeftOut_OtherValuesScrubbed()
    {
        // As read back from SQLite: values are JSON elements.
        var inputs = JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"profile.name":"Acme","profile.segment":"smb","usage.last30d":3,"web.lastPage":"acme pricing"}""")!;
        var brief = Stored("Acme", "Acme at risk", "Acme scored 0.9.", inputs,
            [new Reason("profile.segment", "smb", 0.1, [], "Acme is small"), new Reason("usage.last30d", 3, 0.5, ["e-2"], "usage fell")]);

        var unnamed = BriefNaming.Unnamed(brief);

        Assert.Equal(["usage.last30d", "web.lastPage"], unnamed.Inputs.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("qa-0004 pricing", unnamed.Inputs["web.lastPage"]);
        Assert.Null(unnamed.Reasons[0].Value);
        Assert.Equal("qa-0004 is small", unnamed.Reasons[0].Explanation);
        Assert.Equal(3, unnamed.Reasons[1].Value);
        Assert.Equal("qa-0004 at risk", unnamed.Headline);
    }

    [Theory]
    [InlineData("Renewal")]
    [InlineData("Usage")]
    [InlineData("Risk")]
    public void Unnamed_ATemplateBrief_WhoseNameIsAnOrdinaryWord_HasTheIdWhereTheNameStood_AndNowhereElse(string name)
    {
        // The composer's own text, as it stores it: the template rendered with the name (verify28: "Renewal" turned the
        // headline into "v28-r risk 0.98 for v28-r", "Usage" the reason "usage down 40%" into "v28-u down 40%").
        var manifest = new AgentManifest { Id = "renewal-risk", Version = "1.0.0", Kind = "renewal-risk", Scenario = "renewal-risk", Threshold = 0.6 };
        Reason[] reasons = [new("usage.trend30d", -0.4, 0.8, ["e-1"], "usage down 40% in 30 days"), new("tickets.open", 4, 0.5, ["e-2"], "4 unresolved tickets, risk of churn")];
        var assessment = new Assessment(0.98, true, reasons, "Call the sponsor about usage.");
        Citation[] cited = [new("renewal-playbook", "Renewal playbook", "2. Usage decline", "c-1", 0.8, "…")];
        var (headline, body) = BriefComposer.Template(manifest, name, assessment, cited);
        var brief = Stored(name, headline, body, reasons: reasons) with { Score = 0.98, Threshold = 0.6, AgentId = "renewal-risk", Citations = cited };

        var unnamed = BriefNaming.Unnamed(brief, manifest);

        Assert.Equal(BriefComposer.Template(manifest, "qa-0004", assessment, cited), (unnamed.Headline, unnamed.Body));
        Assert.Equal(reasons.Select(r => r.Explanation), unnamed.Reasons.Select(r => r.Explanation));
    }

    [Fact]
    public void Unnamed_ABriefWrittenWithoutAName_KeepsItsText()
    {
        var brief = Stored(null, "Renewal risk 0.91 for qa-0004", "qa-0004 scored 0.91.");

        var unnamed = BriefNaming.Unnamed(brief);

        Assert.Equal(brief.Headline, unnamed.Headline);
        Assert.Equal(brief.Body, unnamed.Body);
    }

    [Fact]
    public void Unnamed_TextTheServerCannotWriteAgain_HasEveryIdentityValueReplacedWhole_TheDomainNotCutAtTheName()
    {
        // qa38a #2: only the name was scrubbed, so a chat model's or a plugin's "globex.example" stayed, or became "qa-0004.example"
        // where the name stood in it.
        // The segment names a group of customers, not this one: "enterprise" stays a word.
        var inputs = JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"profile.name":"Globex","profile.domain":"globex.example","profile.segment":"enterprise","tickets.open":1}""")!;
        var brief = Stored("Globex", "Globex (GLOBEX.EXAMPLE) has an open ticket", "Write to globex at www.globex.example about Globex's enterprise ticket.", inputs,
            [new Reason("tickets.open", 1, 0.6, [], "Globex has 1 open ticket at globex.example")]);

        var unnamed = BriefNaming.Unnamed(brief);

        Assert.Equal("qa-0004 (qa-0004) has an open ticket", unnamed.Headline);
        Assert.Equal("Write to qa-0004 at www.qa-0004 about qa-0004's enterprise ticket.", unnamed.Body);
        Assert.Equal("qa-0004 has 1 open ticket at qa-0004", unnamed.Reasons[0].Explanation);
        Assert.Equal(["tickets.open"], unnamed.Inputs.Keys);
    }

    [Fact]
    public void Unnamed_ARulesBriefItsAgentDoesNotWriteSoFromItsInputs_IsScrubbed_NotWrittenAgain()
    {
        // A brief an earlier build wrote otherwise (or whose inputs no longer render it): the agent's text for it is not known,
        // so none is put in its place.
        var manifest = ManifestReader.Read("""
            {"id":"probe","version":"1.0.0","kind":"rules","scenario":"renewal-risk","subscribes":["support_ticket"],"reads":["tickets.open"],
             "optionalReads":["profile.name"],"purpose":"customer-success","threshold":0.5,
             "rules":{"conditions":[{"name":"t","when":"tickets.open >= 1","weight":0.6,"explain":"{coalesce(profile.name, 'the customer')} has tickets"}]}}
            """, "application/json");
        var inputs = JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"profile.name":"Globex","tickets.open":1}""")!;
        Reason[] written = [new("tickets.open", 1, 0.6, [], "Globex has tickets")];
        var (headline, body) = BriefComposer.Template(manifest, "Globex", new Assessment(0.6, true, written), []);
        var brief = Stored("Globex", headline, body, inputs, written) with { Score = 0.6, Threshold = 0.5 };

        Assert.Equal("the customer has tickets", BriefNaming.Unnamed(brief, manifest, new RulesKind()).Reasons[0].Explanation);
        var earlier = brief with { Reasons = [written[0] with { Explanation = "Globex has open tickets" }] };
        Assert.Equal("qa-0004 has open tickets", BriefNaming.Unnamed(earlier, manifest, new RulesKind()).Reasons[0].Explanation);
    }

    // qa44c F1b: a built-in agent's reason quotes a notice's title, which writes the name in capitals; as written includes that.
    [Fact]
    public void AnAgentsReason_QuotingTheNameInCapitals_HasTheIdThere_ALowerCaseWordOfTheNameStays()
    {
        var inputs = JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"profile.name":"Northwind Traders","news.title":"NORTHWIND TRADERS - RFP"}""")!;
        Reason[] written = [new("news.title", "NORTHWIND TRADERS - RFP", 0.9, [], "procurement notice \"NORTHWIND TRADERS - RFP\" from Northwind Traders; northwind traders routes stay open")];
        var brief = Stored("Northwind Traders", "Tender detection", "body", inputs, written);

        var unnamed = BriefNaming.Unnamed(brief);

        Assert.Equal("procurement notice \"qa-0004 - RFP\" from qa-0004; northwind traders routes stay open", unnamed.Reasons[0].Explanation);
    }

    private const string ProbeJson = """
        {"id":"probe","version":"1.0.0","kind":"rules","scenario":"renewal-risk","subscribes":["support_ticket"],"reads":["tickets.open"],
         "optionalReads":["profile.name"],"purpose":"customer-success","threshold":0.5,
         "rules":{"conditions":[{"name":"t","when":"tickets.open >= 1","weight":0.6,"explain":"{coalesce(profile.name, 'the customer')} has tickets"}]}}
        """;

    private static readonly AgentManifest Probe = ManifestReader.Read(ProbeJson, "application/json");

    // rev43d M1: a brief an earlier build wrote otherwise is text the server did not write: its reasons have the name replaced
    // only where it stands as a whole, as written ("usage fell" is not the customer "Usage"), not inside words.
    [Fact]
    public void EarlierBuildsRulesBrief_ACustomerNamedUsage_LeavesTheWordUsageInItsReasons()
    {
        var inputs = JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"profile.name":"Usage","tickets.open":1}""")!;
        Reason[] written = [new("tickets.open", 1, 0.6, [], "usage fell 40% and Usage has open tickets")];
        var (headline, text) = BriefComposer.Template(Probe, "Usage", new Assessment(0.6, true, written), []);
        var brief = Stored("Usage", headline, text, inputs, written);

        var unnamed = BriefNaming.Unnamed(brief, Probe, new RulesKind());

        Assert.Equal("usage fell 40% and qa-0004 has open tickets", unnamed.Reasons[0].Explanation);
    }

    // rev43d M2: past the rendering limit a short identity value ("Box", a profile.country "US") is replaced only as a whole
    // word, not out of "inbox", "usage", "business" and "status".
    private static readonly AgentManifest Long = ManifestReader.Read("""
        {"id":"probe","version":"1.0.0","kind":"rules","scenario":"renewal-risk","subscribes":["support_ticket"],"reads":["tickets.open"],
         "optionalReads":["profile.name","profile.country"],"purpose":"customer-success","threshold":0.5,
         "rules":{"conditions":[{"name":"t","when":"tickets.open >= 1","weight":0.6,"explain":"{profile.name} has {tickets.open} open tickets in its support inbox; usage and business status unchanged"},
                                {"name":"pad","when":"tickets.open >= 1","weight":0.1,"explain":"{repeat(coalesce(profile.name, 'a customer without a name'), 200)}"}],
                  "brief":{"nextStep":"Ask the customer's success manager to review the inbox"}}}
        """, "application/json");

    [Theory]
    [InlineData("Box", "Box has 1 open tickets in its support inbox; usage and business status unchanged", "qa-0004 has 1 open tickets in its support inbox; usage and business status unchanged")]
    [InlineData("Globex", "Globex has 1 open tickets in its support inbox; usage and business status unchanged", "qa-0004 has 1 open tickets in its support inbox; usage and business status unchanged")]
    public void PastTheLimit_AShortIdentityValue_IsNotCutOutOfOrdinaryWords(string name, string reason, string expected)
    {
        var inputs = JsonSerializer.Deserialize<Dictionary<string, object?>>($$"""{"profile.name":"{{name}}","profile.country":"US","tickets.open":1}""")!;
        var agent = new RulesKind();
        Reason[] written = [new("tickets.open", 1, 0.6, [], reason), new("tickets.open", 1, 0.1, [], string.Concat(Enumerable.Repeat(name, 200)))];
        var assessment = new Assessment(0.7, true, written, "Ask the customer's success manager to review the inbox");
        var (headline, text) = BriefComposer.Template(Long, name, assessment, []);
        var brief = Stored(name, headline, text, inputs, written) with { Score = 0.7 };

        var unnamed = BriefNaming.Unnamed(brief, Long, agent);

        Assert.Equal(expected, unnamed.Reasons[0].Explanation);
        Assert.Contains("Next step: Ask the customer's success manager to review the inbox", unnamed.Body, StringComparison.Ordinal);
    }

    // qa43e F2: every read of a withheld customer's rules brief ran the agent's whole assessment again, twice; each list page,
    // stream message and webhook attempt paid it per brief. One brief under one version is made once, by one of the readers
    // that came at once.
    [Fact]
    public async Task ARulesBriefReadAgainAndAtOnce_IsWrittenWithoutTheNameOnce_AnotherBriefOrVersionAfresh()
    {
        var inputs = JsonSerializer.Deserialize<Dictionary<string, object?>>("""{"profile.name":"Globex","tickets.open":1}""")!;
        Reason[] written = [new("tickets.open", 1, 0.6, [], "Globex has tickets")];
        var (headline, body) = BriefComposer.Template(Probe, "Globex", new Assessment(0.6, true, written), []);
        var brief = Stored("Globex", headline, body, inputs, written) with { Score = 0.6, Threshold = 0.5 };
        var agent = new CountingWriter(new RulesKind());
        var cache = new NamelessTexts();

        var first = BriefNaming.Unnamed(brief, Probe, agent, cache);
        var once = agent.Calls;
        var readers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => BriefNaming.Unnamed(brief with { Status = BriefStatus.Vetoed }, Probe, agent, cache))));

        Assert.Equal("the customer has tickets", first.Reasons[0].Explanation);
        Assert.All(readers, r => Assert.Equal("the customer has tickets", r.Reasons[0].Explanation));
        Assert.All(readers, r => Assert.Equal(BriefStatus.Vetoed, r.Status));
        Assert.Equal(once, agent.Calls);
        Assert.Equal(1, cache.Made);

        BriefNaming.Unnamed(brief with { Id = "brf_2" }, Probe, agent, cache);
        var again = ManifestReader.Read(ProbeJson, "application/json");
        BriefNaming.Unnamed(brief, again, agent, cache);
        Assert.Equal(3, cache.Made);
        Assert.Equal(3 * once, agent.Calls);
    }

    private sealed class CountingWriter(ITextsFromFields inner) : ITextsFromFields
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Assessment? Assess(AgentManifest manifest, CustomerSnapshot snapshot, CustomerSnapshot textsFrom)
        {
            Interlocked.Increment(ref _calls);
            return inner.Assess(manifest, snapshot, textsFrom);
        }
    }

    private static CustomerSnapshot Snapshot(string customerId, params (string Field, object Value)[] fields) =>
        new(customerId, DateTimeOffset.UnixEpoch, fields.ToDictionary(f => f.Field,
            f => f.Value is string text ? SnapshotField.Of(f.Field, text) : SnapshotField.Of(f.Field, Convert.ToDouble(f.Value, System.Globalization.CultureInfo.InvariantCulture)), StringComparer.Ordinal));

    private static readonly AgentManifest Renewal = new() { Id = "renewal-risk", Version = "1.0.0", Kind = "renewal-risk", Scenario = "renewal-risk", Threshold = 0.6 };

    // rev44a M1: a customer id that holds the name as a word ("acme-1", name "Acme") is not replaced again ("acme-1-1"), in the
    // agent's texts, the composer's, or a chat model's that was given the id.
    [Fact]
    public void WrittenWithoutIdentity_ACustomerIdHoldingTheName_StaysAsItIs()
    {
        var seen = Snapshot("acme-1", ("documents.title", "Acme Terms of Service"));
        var full = Snapshot("acme-1", ("documents.title", "Acme Terms of Service"), ("profile.name", "Acme"));
        var assessment = new Assessment(0.99, true, [new Reason("documents.title", "Acme Terms of Service", 0.9, [], "\"Acme Terms of Service\" lets the provider terminate")], "Send it back to legal.")
        {
            Headline = "Compliance check 0.99 — \"Acme Terms of Service\" (customer-facing terms), 1 finding: unilateral termination",
        };

        var unquoted = BriefNaming.Unquoted(assessment, BriefNaming.Quotable(full, seen));
        var (headline, body) = BriefComposer.Template(Renewal, "acme-1", unquoted, []);
        var written = BriefNaming.WrittenWithout(Stored(null, headline, body, reasons: unquoted.Reasons) with { CustomerId = "acme-1", Score = 0.99, Threshold = 0.6 }, BriefNaming.Quotable(full, seen), Renewal);
        var model = BriefNaming.WrittenWithout(Stored(null, "acme-1 may lose its renewal", "acme-1 sent terms that let the provider terminate.") with { CustomerId = "acme-1" }, BriefNaming.Quotable(full, seen), Renewal);

        Assert.Equal("Compliance check 0.99 — \"acme-1 Terms of Service\" (customer-facing terms), 1 finding: unilateral termination", written.Headline);
        Assert.Equal("acme-1 Terms of Service", written.Reasons[0].Value);
        Assert.Equal("\"acme-1 Terms of Service\" lets the provider terminate", written.Reasons[0].Explanation);
        Assert.Equal("acme-1 may lose its renewal", model.Headline);
        Assert.Equal("acme-1 sent terms that let the provider terminate.", model.Body);
    }

    // rev44a M2: a customer named like an ordinary word ("Usage", "Ramp") that withholds identity: no field the agent read holds
    // the name, so the agent's own words and a chat model's stay ("Usage fell", "ramp-up").
    [Theory]
    [InlineData("Usage")]
    [InlineData("Ramp")]
    public void WrittenWithoutIdentity_ANameNoFieldReadHolds_LeavesTheAgentsAndTheModelsWords(string name)
    {
        var manifest = ManifestReader.Read("""
            {"id":"usage-probe","version":"1.0.0","kind":"rules","scenario":"renewal-risk","subscribes":["usage"],"reads":["usage.trend30d"],
             "optionalReads":["profile.name"],"purpose":"customer-success","threshold":0.5,
             "rules":{"conditions":[{"name":"u","when":"usage.trend30d < -0.3","weight":0.6,"explain":"Usage fell for {coalesce(profile.name, 'the customer')}"}],
                      "brief":{"headline":"Usage fell: ramp-up stalled","nextStep":"Review Usage with the sponsor"}}}
            """, "application/json");
        var seen = Snapshot("qa-0004", ("usage.trend30d", -0.5));
        var full = Snapshot("qa-0004", ("usage.trend30d", -0.5), ("profile.name", name));
        var assessment = new RulesKind().Assess(manifest, seen, seen)!;

        var unquoted = BriefNaming.Unquoted(assessment, BriefNaming.Quotable(full, seen));
        var model = Stored(null, "qa-0004: usage ramp-up stalled", "The pilot's ramp stalled; Usage fell.");
        var written = BriefNaming.WrittenWithout(model, BriefNaming.Quotable(full, seen), Renewal);

        Assert.Equal("Usage fell for the customer", unquoted.Reasons[0].Explanation);
        Assert.Equal(assessment.Headline, unquoted.Headline);
        Assert.Equal(assessment.NextStep, unquoted.NextStep);
        Assert.Equal(model.Headline, written.Headline);
        Assert.Equal(model.Body, written.Body);
    }

    // rev44a L2: a making that threw is not kept: the next read of the brief makes it again.
    [Fact]
    public void NamelessTexts_AMakingThatFailedOnce_IsMadeAgainOnTheNextRead()
    {
        var cache = new NamelessTexts();
        var calls = 0;
        BriefNaming.Rewrite Make() => ++calls == 1 ? throw new InvalidOperationException("transient") : BriefNaming.Rewrite.None;

        Assert.Throws<InvalidOperationException>(() => cache.GetOrAdd("brf_1", Renewal, Make));
        Assert.Same(BriefNaming.Rewrite.None, cache.GetOrAdd("brf_1", Renewal, Make));
        Assert.Equal(2, calls);
    }

    // rev44d M1: the id within the name ("acme" of "Acme Corporation", of "acme.example") does not keep the name.
    [Fact]
    public void Unnamed_AnIdThatIsPartOfTheName_TheNameIsStillReplaced()
    {
        var brief = Stored("Acme Corporation", "Acme Corporation may lose its renewal", "Acme Corporation's usage fell (acme.example).",
            new Dictionary<string, object?> { ["profile.domain"] = "acme.example" }) with { CustomerId = "acme" };

        var unnamed = BriefNaming.Unnamed(brief);

        Assert.Equal("acme may lose its renewal", unnamed.Headline);
        Assert.Equal("acme's usage fell (acme).", unnamed.Body);
    }

    // rev44d M2: a name the agent read only in a derived form (a file name) that a chat model wrote out whole.
    [Fact]
    public void WrittenWithoutIdentity_ANameReadOnlyInAFileName_IsReplaced()
    {
        var seen = Snapshot("qa-0004", ("documents.title", "acme_corporation_msa.pdf"));
        var full = Snapshot("qa-0004", ("documents.title", "acme_corporation_msa.pdf"), ("profile.name", "Acme Corporation"));
        var model = Stored(null, "Acme Corporation MSA lets the provider terminate", "Acme Corporation sent its MSA.");

        var written = BriefNaming.WrittenWithout(model, BriefNaming.Quotable(full, seen), Renewal);

        Assert.Equal("qa-0004 MSA lets the provider terminate", written.Headline);
        Assert.Equal("qa-0004 sent its MSA.", written.Body);
    }
}
