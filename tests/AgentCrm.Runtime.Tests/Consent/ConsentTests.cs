using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Consent;

/// <summary>A test agent kind that records every snapshot it is handed, and always fires.</summary>
public sealed class ProbeKind : IAgentKind
{
    public ConcurrentQueue<CustomerSnapshot> Seen { get; } = new();

    public string Name => "probe";

    public AgentManifest? BuiltIn => null;

    public IAgent Create(AgentManifest manifest) => new Probe(manifest, Seen);

    private sealed class Probe(AgentManifest manifest, ConcurrentQueue<CustomerSnapshot> seen) : IAgent
    {
        public AgentManifest Manifest => manifest;

        public Assessment Assess(CustomerSnapshot snapshot)
        {
            seen.Enqueue(snapshot);
            return new Assessment(1, true, [new Reason("usage.last30d", snapshot.Number("usage.last30d"), 1, [], "probe")]);
        }
    }
}

/// <summary>Consent end to end: withheld fields never reach the agent, revocation applies on the next event, the sandbox agrees.</summary>
public sealed class ConsentTests
{
    private const string ProbeManifest = """
        {"id":"probe","version":"1.0.0","kind":"probe","scenario":"renewal-risk","purpose":"customer-success",
         "subscribes":["usage","payment","nps","invoice"],"reads":["usage.last30d","billing.paymentFailures90d"],"optionalReads":["nps.latest"],
         "threshold":0.5,"cooldownDays":0,"gate":{"minCases":1,"minPrecision":0,"minRecall":0}}
        """;

    private static async Task<(AgentCrmApp App, ProbeKind Probe)> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var probe = new ProbeKind();
        var app = await AgentCrmApp.StartAsync(settings: settings, configure: s => s.AddSingleton<IAgentKind>(probe));
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", Variants.Json(ProbeManifest))).StatusCode);
        return (app, probe);
    }

    private static async Task PutConsentAsync(AgentCrmApp app, string customer, string categories)
    {
        using var response = await app.Client.PutAsync($"/v1/customers/{customer}/consent",
            Variants.Json($$"""{"grants":[{"purpose":"customer-success","categories":[{{categories}}]}]}"""));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private static async Task SendAsync(AgentCrmApp app, params (string Customer, string Type, object Attributes)[] events)
    {
        var now = DateTimeOffset.UtcNow;
        var response = await app.PostEventsAsync(events.Select((e, i) => Ev.Make(e.Customer, e.Type, now.AddMinutes(-events.Length + i), e.Attributes)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await app.WaitForProcessingAsync();
    }

    [Fact]
    public async Task AWithheldField_KeepsTheAgentFromRunning_RevocationAppliesOnTheNextEvent_OptionalFieldsAreDropped()
    {
        var (app, probe) = await StartAsync();
        await using var _ = app;
        await app.EvaluateAndPromoteAsync("probe", "1.0.0");

        // blocked: billing withheld; open: no record (default allows all); revoked: billing allowed, then withdrawn; partial: no feedback.
        await PutConsentAsync(app, "blocked", "\"usage\",\"feedback\"");
        await PutConsentAsync(app, "revoked", "\"usage\",\"billing\",\"feedback\"");
        await PutConsentAsync(app, "partial", "\"usage\",\"billing\"");
        foreach (var customer in new[] { "blocked", "open", "revoked", "partial" })
            await SendAsync(app, (customer, "usage", new { quantity = 10 }), (customer, "nps", new { score = 4 }), (customer, "payment", new { status = "failed", amount = 100 }));

        var seenBy = probe.Seen.GroupBy(s => s.CustomerId).ToDictionary(g => g.Key, g => g.ToList());
        Assert.False(seenBy.ContainsKey("blocked"), "the probe was run for a customer who withholds billing data");
        Assert.Contains(seenBy["open"], s => s.Number("billing.paymentFailures90d") == 1 && s.Number("nps.latest") == 4);
        Assert.All(seenBy["partial"], s => Assert.False(s.Fields.ContainsKey("nps.latest"), "nps.latest reached the probe without feedback consent"));
        Assert.Contains(seenBy["partial"], s => s.Number("billing.paymentFailures90d") == 1);
        Assert.Empty(await app.BriefsAsync("&customerId=blocked"));
        Assert.NotEmpty(await app.BriefsAsync("&customerId=open"));

        var before = probe.Seen.Count(s => s.CustomerId == "revoked");
        Assert.True(before > 0);
        await PutConsentAsync(app, "revoked", "\"usage\",\"feedback\"");
        await SendAsync(app, ("revoked", "payment", new { status = "failed", amount = 50 }), ("revoked", "usage", new { quantity = 3 }));
        Assert.Equal(before, probe.Seen.Count(s => s.CustomerId == "revoked"));

        var health = (await app.GetJsonAsync("/v1/agents/probe/health")).GetProperty("versions")[0];
        Assert.Equal(3 + 2, health.GetProperty("blockedByConsent").GetInt64());
        var blockedAudit = await app.GetJsonAsync("/v1/audit?subject=customer:blocked&action=consent.blocked");
        var record = blockedAudit.GetProperty("items").EnumerateArray().First(r => r.GetProperty("actor").GetString() == "agent:probe@1.0.0");
        Assert.Equal(["billing.paymentFailures90d"], record.GetProperty("data").GetProperty("withheldFields").EnumerateArray().Select(f => f.GetString()).ToList());

        var view = await app.GetJsonAsync("/v1/customers/blocked");
        Assert.True(view.GetProperty("consent").GetProperty("explicit").GetBoolean());
    }

    [Fact]
    public async Task TheEvidenceOfABrief_ShowsNoRawEventTheCustomerWithholds_AlsoWhenItTriggeredTheTurn()
    {
        var (app, _) = await StartAsync();
        await using var __ = app;
        await app.EvaluateAndPromoteAsync("probe", "1.0.0");
        // The probe subscribes to nps events but the customer withholds feedback: an NPS event may start a turn, and the
        // probe runs (it requires usage and billing only), yet the score and comment must not reach the CSM as evidence.
        await PutConsentAsync(app, "quiet", "\"usage\",\"billing\"");
        await SendAsync(app, ("quiet", "usage", new { quantity = 10 }), ("quiet", "payment", new { status = "failed", amount = 100 }),
            ("quiet", "nps", new { score = 2, comment = "we are leaving" }));

        var briefs = await app.BriefsAsync("&customerId=quiet");
        Assert.Equal(3, briefs.Count);
        foreach (var brief in briefs)
        {
            var evidence = await app.GetJsonAsync($"/v1/briefs/{brief.GetProperty("id").GetString()}/evidence");
            Assert.DoesNotContain("we are leaving", evidence.GetRawText(), StringComparison.Ordinal);
            Assert.All(evidence.GetProperty("events").EnumerateArray(), e => Assert.NotEqual("nps", e.GetProperty("type").GetString()));
        }
    }

    [Fact]
    public async Task TheEvidenceOfABrief_QuotesACitedEvent_OnlyWhenConsentCoversItsCategory()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // An activity count cites the NPS events it counted; their bodies hold the score and comment (feedback).
        const string manifest = """
            {"id":"nps-count","version":"1.0.0","kind":"rules","scenario":"renewal-risk","purpose":"customer-success",
             "subscribes":["nps","usage"],"reads":["events.count30d.nps"],"threshold":0.5,"cooldownDays":0,
             "gate":{"minCases":1,"minPrecision":0,"minRecall":0},
             "rules":{"conditions":[{"name":"rated","when":"events.count30d.nps >= 1","weight":1,"explain":"{events.count30d.nps} NPS answers"}]}}
            """;
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", Variants.Json(manifest))).StatusCode);
        await app.EvaluateAndPromoteAsync("nps-count", "1.0.0");
        await PutConsentAsync(app, "counted", "\"activity\",\"usage\"");
        foreach (var customer in new[] { "counted", "open" })
            await SendAsync(app, (customer, "nps", new { score = 2, comment = "we are leaving" }), (customer, "usage", new { quantity = 10 }));

        async Task<List<string?>> EvidenceTypes(string customer)
        {
            var briefs = await app.BriefsAsync($"&customerId={customer}");
            Assert.Equal(2, briefs.Count);
            var types = new List<string?>();
            foreach (var brief in briefs)
            {
                var evidence = await app.GetJsonAsync($"/v1/briefs/{brief.GetProperty("id").GetString()}/evidence");
                types.AddRange(evidence.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()));
            }
            return types;
        }

        Assert.DoesNotContain("nps", await EvidenceTypes("counted"));
        Assert.Contains("nps", await EvidenceTypes("open"));
    }

    [Fact]
    public async Task ABrief_NamesTheCustomer_OnlyWhenConsentCoversIdentityForTheAgentsPurpose()
    {
        var (app, _) = await StartAsync();
        await using var __ = app;
        await app.EvaluateAndPromoteAsync("probe", "1.0.0");
        await PutConsentAsync(app, "anon", "\"usage\",\"billing\"");
        await PutConsentAsync(app, "named", "\"usage\",\"billing\",\"identity\"");
        foreach (var customer in new[] { "anon", "named" })
            await SendAsync(app, (customer, "profile", new { name = $"Secret {customer} Ltd" }), (customer, "usage", new { quantity = 10 }),
                (customer, "payment", new { status = "failed", amount = 100 }));

        var anon = await app.BriefsAsync("&customerId=anon");
        Assert.NotEmpty(anon);
        Assert.All(anon, b =>
        {
            Assert.Equal(JsonValueKind.Null, b.GetProperty("customerName").ValueKind);
            Assert.DoesNotContain("Secret anon Ltd", b.GetRawText(), StringComparison.Ordinal);
        });
        var named = await app.BriefsAsync("&customerId=named");
        Assert.NotEmpty(named);
        Assert.All(named, b => Assert.Equal("Secret named Ltd", b.GetProperty("customerName").GetString()));
    }

    [Fact]
    public async Task TheSandbox_AppliesTheSameConsent_AsLiveTurns()
    {
        // Default: usage and contract only, so every churn case withholds billing (which the probe requires) ...
        var (app, probe) = await StartAsync(new Dictionary<string, string?>
        {
            ["Consent:DefaultGrants:0:Purpose"] = "customer-success",
            ["Consent:DefaultGrants:0:Categories:0"] = "usage",
            ["Consent:DefaultGrants:0:Categories:1"] = "contract",
        });
        await using var _ = app;
        // ... except one customer who granted billing explicitly.
        await PutConsentAsync(app, "7590-VHVEG", "\"usage\",\"billing\"");
        var report = await app.EvaluateAsync("probe", "1.0.0");
        var cases = report.GetProperty("cases").GetInt32();
        Assert.Equal(cases - 1, report.GetProperty("blockedByConsent").GetInt32());
        // The blocked cases are left out of the metrics: the one consenting customer is the only case counted.
        var confusion = report.GetProperty("confusion");
        Assert.Equal(1, confusion.EnumerateObject().Sum(p => p.Value.GetInt32()));
        Assert.Equal(["7590-VHVEG"], probe.Seen.Select(s => s.CustomerId).Distinct().ToList());
    }

    [Fact]
    public async Task ConsentRecordedBeforeAnyEvent_CanBeReadBack_AnUnknownCustomerIs404()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await PutConsentAsync(app, "newco", "\"usage\"");

        var view = await app.GetJsonAsync("/v1/customers/newco");
        Assert.Equal(JsonValueKind.Null, view.GetProperty("asOf").ValueKind);
        Assert.Empty(view.GetProperty("fields").EnumerateObject());
        Assert.True(view.GetProperty("consent").GetProperty("explicit").GetBoolean());
        Assert.Equal(["usage"], view.GetProperty("consent").GetProperty("grants")[0].GetProperty("categories").EnumerateArray().Select(c => c.GetString()));

        using var unknown = await app.Client.GetAsync("/v1/customers/nobody");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task BadConsent_IsRefusedWithTheFieldAtFault_AndChangesNothing()
    {
        var (app, _) = await StartAsync();
        await using var __ = app;
        foreach (var (body, field) in new[]
        {
            ("""{"grants":[{"purpose":"customer-success","categories":["telepathy"]}]}""", "grants[0].categories[0]"),
            ("""{"grants":[{"purpose":"Customer Success","categories":["usage"]}]}""", "grants[0].purpose"),
            ("""{"grants":[{"purpose":"customer-success","categories":["usage"],"expiresAt":"2020-01-01T00:00:00Z"}]}""", "grants[0].expiresAt"),
            ("""{"grants":[{"purpose":"customer-success","categories":["usage"],"expiresAt":"next tuesday"}]}""", "grants[0].expiresAt"),
            ("""{"grant":[]}""", "grant"),
        })
        {
            using var response = await app.Client.PutAsync("/v1/customers/c1/consent", Variants.Json(body));
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode} {problem}");
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{body}: expected an error for {field}: {problem}");
        }
        var audit = await app.GetJsonAsync("/v1/audit?action=consent.updated");
        Assert.Empty(audit.GetProperty("items").EnumerateArray());
    }
}
