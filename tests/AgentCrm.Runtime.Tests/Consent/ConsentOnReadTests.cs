using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Briefs;
using AgentCrm.Runtime.Tests.Briefs;
using AgentCrm.Runtime.Tests.Reviews;
using AgentCrm.Runtime.Tests.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Runtime.Tests.Consent;

/// <summary>
/// Identity consent is judged when a brief is read or sent: once it is withdrawn, briefs stored with the customer's name
/// leave the server without it by every way out (GET, list, stream, webhooks, customer view, evidence, review queue and
/// verdict); the stored brief and the audit log stay as written, and granting identity again brings the name back.
/// </summary>
public sealed class ConsentOnReadTests
{
    private const string Customer = "qa-0004";
    private const string Name = "QA Co 4";

    private const string ProbeManifest = """
        {"id":"probe","version":"1.0.0","kind":"probe","scenario":"renewal-risk","purpose":"customer-success",
         "subscribes":["usage","payment","profile"],"reads":["usage.last30d","billing.paymentFailures90d"],"optionalReads":["profile.name"],
         "threshold":0.5,"cooldownDays":0,"gate":{"minCases":1,"minPrecision":0,"minRecall":0}}
        """;

    private static readonly Dictionary<string, string?> FastWebhooks = new()
    {
        ["Webhooks:RetryBaseDelay"] = "00:00:00.050",
        ["Webhooks:RetryMaxDelay"] = "00:00:00.200",
        ["Webhooks:PollInterval"] = "00:00:00.200",
    };

    /// <summary>A server whose probe agent wrote briefs naming the customer (its consent covering identity), and the carla CSM client for that account.</summary>
    private static async Task<(AgentCrmApp App, HttpClient Csm, List<JsonElement> Briefs)> StartWithNamedBriefsAsync(Func<AgentCrmApp, Task>? beforeEvents = null)
    {
        var app = await AgentCrmApp.StartAsync(settings: FastWebhooks, configure: s => s.AddSingleton<IAgentKind>(new ProbeKind()));
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", Variants.Json(ProbeManifest))).StatusCode);
        await app.EvaluateAndPromoteAsync("probe", "1.0.0");
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PutAsync("/v1/csms/carla/accounts", Variants.Json($$"""{"accounts":["{{Customer}}"]}"""))).StatusCode);
        await PutConsentAsync(app, "\"usage\",\"billing\",\"identity\"");
        if (beforeEvents is not null)
            await beforeEvents(app);
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([
            Ev.Make(Customer, "profile", now.AddMinutes(-3), new { name = Name }),
            Ev.Make(Customer, "usage", now.AddMinutes(-2), new { quantity = 10 }),
            Ev.Make(Customer, "payment", now.AddMinutes(-1), new { status = "failed", amount = 100 }),
        ])).StatusCode);
        await app.WaitForProcessingAsync();
        var csm = await app.ClientAsync("csm", "carla");
        var briefs = await app.BriefsAsync($"&customerId={Customer}");
        Assert.Equal(3, briefs.Count);
        // As written: named, in the field and in the text.
        Assert.All(briefs, b =>
        {
            Assert.Equal(Name, b.GetProperty("customerName").GetString());
            Assert.Contains(Name, b.GetProperty("headline").GetString(), StringComparison.Ordinal);
            Assert.Contains(Name, b.GetProperty("body").GetString(), StringComparison.Ordinal);
        });
        return (app, csm, briefs);
    }

    private static async Task PutConsentAsync(AgentCrmApp app, string categories, string customer = Customer)
    {
        using var response = await app.Client.PutAsync($"/v1/customers/{customer}/consent",
            Variants.Json($$"""{"grants":[{"purpose":"customer-success","categories":[{{categories}}]}]}"""));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The QA repro's withdrawal: every category but identity.</summary>
    private static Task WithdrawIdentityAsync(AgentCrmApp app) => PutConsentAsync(app, "\"usage\",\"billing\",\"contract\",\"support\",\"feedback\"");

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>A brief as it left the server without the name: no customerName, the id where the name stood.</summary>
    private static void AssertUnnamed(JsonElement brief, string where)
    {
        Assert.False(brief.GetRawText().Contains(Name, StringComparison.OrdinalIgnoreCase), $"{where} still names the customer: {brief}");
        Assert.Equal(JsonValueKind.Null, brief.GetProperty("customerName").ValueKind);
        Assert.Contains(Customer, brief.GetProperty("headline").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadingBriefs_AfterIdentityIsWithdrawn_LeavesTheNameOut_TheStoredBriefAndAuditStayAsWritten_RegrantingBringsItBack()
    {
        var (app, csm, briefs) = await StartWithNamedBriefsAsync();
        await using var _ = app;
        using var __ = csm;
        var id = briefs[0].GetProperty("id").GetString()!;
        var createdBefore = (await app.GetJsonAsync($"/v1/audit?subject=brief:{id}&action=brief.created")).GetProperty("items").GetRawText();

        await WithdrawIdentityAsync(app);

        AssertUnnamed(await GetJsonAsync(csm, $"/v1/briefs/{id}"), "GET /v1/briefs/{id}");
        var listed = (await GetJsonAsync(csm, $"/v1/briefs?customerId={Customer}")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(3, listed.Count);
        Assert.All(listed, b => AssertUnnamed(b, "GET /v1/briefs"));
        var open = (await GetJsonAsync(csm, $"/v1/customers/{Customer}")).GetProperty("openBriefs").EnumerateArray().ToList();
        Assert.Equal(3, open.Count);
        Assert.All(open, b => AssertUnnamed(b, "the customer view's openBriefs"));
        var evidence = await GetJsonAsync(csm, $"/v1/briefs/{id}/evidence");
        Assert.DoesNotContain(Name, evidence.GetRawText(), StringComparison.OrdinalIgnoreCase);
        Assert.False(evidence.GetProperty("snapshotFields").TryGetProperty("profile.name", out var _), evidence.ToString());
        using (var acknowledged = await csm.PostAsync($"/v1/briefs/{id}/acknowledge", null))
            AssertUnnamed(JsonDocument.Parse(await acknowledged.Content.ReadAsStringAsync()).RootElement, "an acknowledgement's answer");

        using var reviewer = await app.ClientAsync("reviewer", "rita");
        var queue = (await GetJsonAsync(reviewer, "/v1/reviews")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(3, queue.Count);
        Assert.All(queue, b => AssertUnnamed(b, "the review queue"));
        using (var veto = await reviewer.PostAsync($"/v1/briefs/{id}/veto", Variants.Json("""{"reason":"wrong customer"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, veto.StatusCode);
            AssertUnnamed(JsonDocument.Parse(await veto.Content.ReadAsStringAsync()).RootElement, "a veto's answer");
        }

        // The stored brief keeps what was written, and the audit log is untouched by reading.
        var stored = app.Services.GetRequiredService<BriefStore>().Get(id)!;
        Assert.Equal(Name, stored.CustomerName);
        Assert.Contains(Name, stored.Headline, StringComparison.Ordinal);
        Assert.Equal(createdBefore, (await app.GetJsonAsync($"/v1/audit?subject=brief:{id}&action=brief.created")).GetProperty("items").GetRawText());
        using (var verify = await app.Client.PostAsync("/v1/audit/verify", null))
            Assert.Contains("\"ok\":true", await verify.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Identity granted again: the name is back.
        await PutConsentAsync(app, "\"usage\",\"billing\",\"identity\"");
        var again = await GetJsonAsync(csm, $"/v1/briefs/{id}");
        Assert.Equal(Name, again.GetProperty("customerName").GetString());
        Assert.Contains(Name, again.GetProperty("headline").GetString(), StringComparison.Ordinal);
    }

    // qa44c F1: a customer who withheld identity before the first event was still named by the built-in agents, which quote
    // a document's title and clauses and a notice's title and buyer; the brief holds no identity value to replace them by.
    [Fact]
    public async Task BuiltInBriefs_OfACustomerWithholdingIdentityFromTheStart_QuoteNoFormOfTheName_NorIsAChatModelGivenIt()
    {
        // A chat model endpoint that keeps what it is given (and fails, so the briefs are the template's).
        var given = new ConcurrentQueue<string>();
        var model = WebApplication.CreateSlimBuilder();
        model.Logging.ClearProviders();
        model.WebHost.UseUrls("http://127.0.0.1:0");
        await using var chat = model.Build();
        chat.MapPost("/v1/chat/completions", async (HttpRequest request) =>
        {
            given.Enqueue(await new StreamReader(request.Body).ReadToEndAsync());
            return Results.StatusCode(500);
        });
        await chat.StartAsync();
        var endpoint = chat.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1";
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Models:Chat:Endpoint"] = endpoint, ["Models:Chat:MaxRetries"] = "0" });
        const string customer = "tnd-1";
        await PutConsentAsync(app, "\"contract\",\"usage\",\"support\",\"billing\",\"feedback\",\"web\",\"activity\",\"documents\",\"news\"", customer);
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([
            Ev.Make(customer, "profile", now.AddDays(-40), new { name = "Northwind Traders", domain = "northwind.example" }),
            Ev.Make(customer, "document", now.AddDays(-2), new
            {
                docType = "terms", title = "Northwind Traders Terms of Service",
                text = "These terms govern your use of the service. Northwind Traders may terminate or suspend your account at any time, for any reason, without notice. "
                    + "To the fullest extent permitted by law, Northwind Traders shall not be liable for any indirect or consequential damages.",
            }),
            Ev.Make(customer, "news", now.AddDays(-1), new { title = "NORTHWIND TRADERS - Request for Proposal (RFP): network services", buyer = "Northwind Traders" }),
        ])).StatusCode);
        await app.WaitForProcessingAsync();

        var briefs = await app.BriefsAsync($"&customerId={customer}");
        Assert.Contains(briefs, b => b.GetProperty("agentId").GetString() == "compliance-check");
        Assert.Contains(briefs, b => b.GetProperty("agentId").GetString() == "tender-detection");
        Assert.All(briefs, b => Assert.False(b.GetRawText().Contains("northwind", StringComparison.OrdinalIgnoreCase), $"names the customer: {b}"));
        Assert.All(briefs, b => Assert.Contains(customer, b.GetProperty("headline").GetString() + b.GetProperty("body").GetString(), StringComparison.Ordinal));
        var stored = app.Services.GetRequiredService<BriefStore>().Get(briefs[0].GetProperty("id").GetString()!)!;
        Assert.DoesNotContain("northwind", stored.Headline + stored.Body, StringComparison.OrdinalIgnoreCase);
        Assert.NotEmpty(given);
        Assert.All(given, body => Assert.DoesNotContain("northwind", body, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Stream_AfterIdentityIsWithdrawn_SendsTheBriefWithoutTheName()
    {
        var (app, csm, briefs) = await StartWithNamedBriefsAsync();
        await using var _ = app;
        using var __ = csm;
        await using var stream = await StreamEvents.OpenAsync(csm);
        await WithdrawIdentityAsync(app);

        var id = briefs[0].GetProperty("id").GetString()!;
        using var reviewer = await app.ClientAsync("reviewer", "rita");
        using (var veto = await reviewer.PostAsync($"/v1/briefs/{id}/veto", Variants.Json("""{"reason":"wrong customer"}""")))
            Assert.Equal(HttpStatusCode.OK, veto.StatusCode);

        var sent = await stream.ThroughAsync(id);
        Assert.Equal("retracted", sent.Data.GetProperty("status").GetString());
        AssertUnnamed(sent.Data, "the stream");
    }

    [Fact]
    public async Task Webhook_SentAfterIdentityIsWithdrawn_CarriesNoName()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (app, csm, briefs) = await StartWithNamedBriefsAsync(async app =>
        {
            using var created = await app.Client.PostAsync("/v1/webhooks", Variants.Json($$"""{"url":"{{receiver.Url}}","csmId":"carla"}"""));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        });
        await using var _ = app;
        using var __ = csm;
        // Sent before the withdrawal: named, as consent then allowed.
        var delivered = await receiver.WaitForAsync(3);
        Assert.All(delivered, d => Assert.Equal(Name, d.Json.GetProperty("brief").GetProperty("customerName").GetString()));

        await WithdrawIdentityAsync(app);
        var id = briefs[0].GetProperty("id").GetString()!;
        using var reviewer = await app.ClientAsync("reviewer", "rita");
        using (var veto = await reviewer.PostAsync($"/v1/briefs/{id}/veto", Variants.Json("""{"reason":"wrong customer"}""")))
            Assert.Equal(HttpStatusCode.OK, veto.StatusCode);

        var retracted = (await receiver.WaitForAsync(4))[^1];
        Assert.Equal("brief.retracted", retracted.Event);
        var brief = retracted.Json.GetProperty("brief");
        Assert.Equal(id, brief.GetProperty("id").GetString());
        AssertUnnamed(brief, "the brief.retracted webhook");
    }

    /// <summary>
    /// qa38a #2: a rules agent's templates put the name, a derived form of it and the domain into its reasons, headline and next
    /// step ("globex", "GlobexCorp", "globex.example"); a withdrawal scrubbed only the name as a whole word, so the derived forms
    /// and the domain stayed and the domain was cut in half ("qa-…-c.example").
    /// </summary>
    private const string NamingRules = """
        {"id":"naming-rules","version":"1.0.0","kind":"rules","scenario":"renewal-risk","purpose":"customer-success",
         "subscribes":["support_ticket"],"reads":["tickets.open"],"optionalReads":["profile.name","profile.domain"],
         "threshold":0.5,"cooldownDays":0,"gate":{"minCases":1,"minPrecision":0,"minRecall":0},
         "rules":{"conditions":[{"name":"tickets","when":"tickets.open >= 1","weight":0.6,
                                 "explain":"{lower(profile.name)} has {tickets.open} open ticket(s) at {profile.domain}"}],
                  "brief":{"headline":"{concat(profile.name, 'Corp')}: tickets open at {profile.domain}","nextStep":"Email {lower(profile.name)} at {profile.domain}"}}}
        """;

    [Fact]
    public async Task RulesBrief_AfterIdentityIsWithdrawn_ReadsAsTheAgentWritesItWithoutIdentity_NoIdentityValueOrDerivedForm_RegrantingRestoresIt()
    {
        const string Anonymous = "qa-0005";
        await using var app = await AgentCrmApp.StartAsync();
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", Variants.Json(NamingRules))).StatusCode);
        await app.EvaluateAndPromoteAsync("naming-rules", "1.0.0");
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PutAsync("/v1/csms/carla/accounts", Variants.Json($$"""{"accounts":["{{Customer}}","{{Anonymous}}"]}"""))).StatusCode);
        await PutConsentAsync(app, "\"support\",\"identity\"");
        // The same history for a customer who never consented to identity: the brief the agent writes without it.
        await PutConsentAsync(app, "\"support\"", Anonymous);
        var now = DateTimeOffset.UtcNow;
        foreach (var customer in new[] { Customer, Anonymous })
            Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([
                Ev.Make(customer, "profile", now.AddMinutes(-3), new { name = "Globex", domain = "globex.example" }),
                Ev.Make(customer, "support_ticket", now.AddMinutes(-1), new { ticketId = "T1", status = "open" }),
            ])).StatusCode);
        await app.WaitForProcessingAsync();
        var named = Assert.Single(await app.BriefsAsync($"&customerId={Customer}"));
        Assert.Equal("GlobexCorp: tickets open at globex.example", named.GetProperty("headline").GetString());
        Assert.Contains("- Globex has 1 open ticket(s) at globex.example", named.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Contains("Next step: Email globex at globex.example", named.GetProperty("body").GetString(), StringComparison.Ordinal);
        var unnamed = Assert.Single(await app.BriefsAsync($"&customerId={Anonymous}"));
        Assert.DoesNotContain("globex", unnamed.GetRawText(), StringComparison.OrdinalIgnoreCase);
        var id = named.GetProperty("id").GetString()!;
        using var csm = await app.ClientAsync("csm", "carla");

        await PutConsentAsync(app, "\"support\",\"contract\"");

        // As the agent writes it without identity: the anonymous customer's brief, with this customer's id.
        void AssertAsWrittenWithoutIdentity(JsonElement brief, string where)
        {
            Assert.False(brief.GetRawText().Contains("globex", StringComparison.OrdinalIgnoreCase), $"{where} still holds the customer's identity: {brief}");
            Assert.Equal(JsonValueKind.Null, brief.GetProperty("customerName").ValueKind);
            Assert.Equal(unnamed.GetProperty("headline").GetString(), brief.GetProperty("headline").GetString());
            Assert.Equal(unnamed.GetProperty("body").GetString()!.Replace(Anonymous, Customer, StringComparison.Ordinal), brief.GetProperty("body").GetString());
            Assert.Equal(Explanations(unnamed), Explanations(brief));
        }
        AssertAsWrittenWithoutIdentity(await GetJsonAsync(csm, $"/v1/briefs/{id}"), "GET /v1/briefs/{id}");
        AssertAsWrittenWithoutIdentity(Assert.Single((await GetJsonAsync(csm, $"/v1/briefs?customerId={Customer}")).GetProperty("items").EnumerateArray()), "GET /v1/briefs");
        AssertAsWrittenWithoutIdentity(Assert.Single((await GetJsonAsync(csm, $"/v1/customers/{Customer}")).GetProperty("openBriefs").EnumerateArray()), "the customer view's openBriefs");
        var evidence = await GetJsonAsync(csm, $"/v1/briefs/{id}/evidence");
        Assert.False(evidence.GetRawText().Contains("globex", StringComparison.OrdinalIgnoreCase), evidence.ToString());
        await using (var stream = await StreamEvents.OpenAsync(csm))
        {
            using var reviewer = await app.ClientAsync("reviewer", "rita");
            using (var veto = await reviewer.PostAsync($"/v1/briefs/{id}/veto", Variants.Json("""{"reason":"wrong customer"}""")))
                Assert.Equal(HttpStatusCode.OK, veto.StatusCode);
            AssertAsWrittenWithoutIdentity((await stream.ThroughAsync(id)).Data, "the stream");
        }

        // Identity granted again: the brief reads as written.
        await PutConsentAsync(app, "\"support\",\"identity\"");
        var again = await GetJsonAsync(csm, $"/v1/briefs/{id}");
        Assert.Equal("Globex", again.GetProperty("customerName").GetString());
        Assert.Equal(named.GetProperty("headline").GetString(), again.GetProperty("headline").GetString());
        Assert.Equal(named.GetProperty("body").GetString(), again.GetProperty("body").GetString());
        Assert.Equal(Explanations(named), Explanations(again));
    }

    /// <summary>
    /// qa43e F1: templates whose text without the name passes the rendering limit (a 25-character stand-in repeated where a
    /// 6-letter name was) cannot be written again without it: the name goes wherever it stands, in any case — "Globexs",
    /// "Globex_team", "GlobexGlobex", "globex" — not only as a whole word.
    /// </summary>
    [Fact]
    public async Task RulesBrief_WhoseTemplatesCannotBeWrittenAgainWithoutTheName_KeepsNoFormOfIt()
    {
        const string LongRules = """
            {"id":"long-rules","version":"1.0.0","kind":"rules","scenario":"renewal-risk","purpose":"customer-success",
             "subscribes":["support_ticket"],"reads":["tickets.open"],"optionalReads":["profile.name"],
             "threshold":0.5,"cooldownDays":0,"gate":{"minCases":1,"minPrecision":0,"minRecall":0},
             "rules":{"conditions":[{"name":"tickets","when":"tickets.open >= 1","weight":0.6,
                                     "explain":"{profile.name}s inbox: {repeat(coalesce(profile.name, 'a customer without a name'), 200)}"},
                                    {"name":"contact","when":"tickets.open >= 1","weight":0.1,"explain":"Contact on file: {lower(profile.name)}"}],
                      "brief":{"headline":"Check {profile.name}s account","nextStep":"Write to the {profile.name}_team list"}}}
            """;
        await using var app = await AgentCrmApp.StartAsync();
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/agents", Variants.Json(LongRules))).StatusCode);
        await app.EvaluateAndPromoteAsync("long-rules", "1.0.0");
        await PutConsentAsync(app, "\"support\",\"identity\"");
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([
            Ev.Make(Customer, "profile", now.AddMinutes(-3), new { name = "Globex" }),
            Ev.Make(Customer, "support_ticket", now.AddMinutes(-1), new { ticketId = "T1", status = "open" }),
        ])).StatusCode);
        await app.WaitForProcessingAsync();
        var named = Assert.Single(await app.BriefsAsync($"&customerId={Customer}"));
        Assert.Equal("Check Globexs account", named.GetProperty("headline").GetString());

        await PutConsentAsync(app, "\"support\",\"contract\"");

        var brief = Assert.Single(await app.BriefsAsync($"&customerId={Customer}"));
        Assert.False(brief.GetRawText().Contains("globex", StringComparison.OrdinalIgnoreCase), $"the brief still holds the customer's name: {brief}");
        Assert.Equal(JsonValueKind.Null, brief.GetProperty("customerName").ValueKind);
        Assert.Contains(Customer, brief.GetProperty("headline").GetString(), StringComparison.Ordinal);
    }

    private static List<string?> Explanations(JsonElement brief) =>
        brief.GetProperty("reasons").EnumerateArray().Select(r => r.GetProperty("explanation").GetString()).ToList();
}
