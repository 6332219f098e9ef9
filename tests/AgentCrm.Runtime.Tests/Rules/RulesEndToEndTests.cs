using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Sandbox;

namespace AgentCrm.Runtime.Tests.Rules;

public sealed class RulesEndToEndTests
{
    private static string Example() =>
        File.ReadAllText(Path.Combine(ManifestSchemaTests.RepositoryRoot(), "agents/examples/expansion-opportunity.yaml"));

    private static int LineOf(string text, string fragment) =>
        text[..text.IndexOf(fragment, StringComparison.Ordinal)].Count(c => c == '\n') + 1;

    private static async Task<(HttpStatusCode Status, JsonElement Body)> RegisterAsync(AgentCrmApp app, string manifest, string contentType)
    {
        using var response = await app.Client.PostAsync("/v1/agents", new StringContent(manifest, Encoding.UTF8, contentType));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    /// <summary>Two inquiries in 30 days, a solutions-page visit, and (or not) an order.</summary>
    internal static List<JsonObject> Expansion(string customerId, DateTimeOffset now, bool order = false, int inquiries = 2, string name = "Initech")
    {
        var events = new List<JsonObject> { Ev.Make(customerId, "profile", now.AddDays(-40), new { name }) };
        // The order comes first, so no moment of this history looks like an opportunity.
        if (order)
            events.Add(Ev.Make(customerId, "invoice", now.AddDays(-20), new { invoiceId = $"{customerId}-I1", amount = 4800, status = "open" }));
        for (var i = 0; i < inquiries; i++)
            events.Add(Ev.Make(customerId, "email", now.AddDays(-12 + 3 * i), new { category = "inquiry", subject = "Could we add the analytics module?" }, id: $"{customerId}-inq-{i}"));
        events.Add(Ev.Make(customerId, "web_visit", now.AddDays(-4), new { url = "https://vendor.example/solutions/analytics", visitorId = "v1" }));
        return events;
    }

    [Theory]
    [InlineData("application/yaml")]
    [InlineData("application/x-yaml")]
    [InlineData("text/yaml")]
    public async Task Register_YamlUnderEachOfItsMediaTypes_IsRead(string contentType)
    {
        // YAML has had three media types in use (application/yaml since RFC 9512; text/yaml and application/x-yaml before it);
        // StringContent adds "; charset=utf-8" to each.
        await using var app = await AgentCrmApp.StartAsync();
        var (status, body) = await RegisterAsync(app, Example(), contentType);
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal("expansion-opportunity", body.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Register_BadRule_Is400NamingTheYamlLineAndReason_NothingStored()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var yaml = Example().Replace("when: events.count30d.invoice == 0", "when: events.count30d.invoice = 0", StringComparison.Ordinal)
            .Replace("{events.count30d.web_visit.solutions} time(s)", "{events.count30d.web_visit.solutions time(s)", StringComparison.Ordinal);
        var (status, body) = await RegisterAsync(app, yaml, "application/yaml");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = body.GetProperty("errors");
        var when = errors.GetProperty("rules.conditions[1].when")[0].GetString()!;
        Assert.Equal($"line {LineOf(yaml, "when: events.count30d.invoice = 0")}: at character 25: '=' is not an operator; compare with '=='.", when);
        var explain = errors.GetProperty("rules.conditions[2].explain")[0].GetString()!;
        Assert.StartsWith($"line {LineOf(yaml, "{events.count30d.web_visit.solutions time(s)")}: at character ", explain, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/expansion-opportunity")).StatusCode);

        // The same checks on a JSON manifest, with JSON line numbers; a field outside reads is refused, not met at run time.
        var json = """
            {
              "id": "json-rules", "version": "1.0.0", "kind": "rules", "scenario": "test",
              "subscribes": ["support_ticket"],
              "reads": ["tickets.open"],
              "purpose": "customer-success",
              "threshold": 0.5,
              "rules": {
                "conditions": [
                  { "name": "many", "when": "tickets.open > 3" },
                  { "name": "angry",
                    "when": "nps.latest < 5" }
                ]
              }
            }
            """;
        (status, body) = await RegisterAsync(app, json, "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("line 11: at character 1: 'nps.latest' is not in reads or optionalReads; add it to one of them (the consent gate passes an agent only the fields it reads).",
            body.GetProperty("errors").GetProperty("rules.conditions[1].when")[0].GetString());

        // Generic fields get their line as well.
        (status, body) = await RegisterAsync(app, json.Replace("\"tickets.open\"]", "\"tickets.open\", \"secret.x\"]", StringComparison.Ordinal), "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("line 4: Unknown snapshot field 'secret.x'", body.GetProperty("errors").GetProperty("reads[1]")[0].GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A category in the wrong case and a mistyped field registered (201) and never fired: no customer can have them. Refused at
    /// their lines with the field meant; the shipped example, whose category is written as intake keys it, registers.
    /// </summary>
    [Fact]
    public async Task Register_FieldNoCustomerCanHave_Is400NamingTheLineAndTheFieldMeant_NothingStored()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var yaml = Example().Replace("events.count30d.email.inquiry", "events.count30d.email.Inquiry", StringComparison.Ordinal)
            .Replace("when: events.count30d.invoice == 0", "when: events.count30d.invoce == 0", StringComparison.Ordinal);
        var (status, body) = await RegisterAsync(app, yaml, "application/yaml");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = body.GetProperty("errors");
        var inquiries = errors.GetProperty("rules.conditions[0].when")[0].GetString()!;
        Assert.StartsWith($"line {LineOf(yaml, "when: events.count30d.email.Inquiry")}: at character 1: unknown field 'events.count30d.email.Inquiry'", inquiries, StringComparison.Ordinal);
        Assert.EndsWith("did you mean events.count30d.email.inquiry?", inquiries, StringComparison.Ordinal);
        Assert.StartsWith($"line {LineOf(yaml, "  - events.count30d.email.Inquiry")}: ", errors.GetProperty("reads[0]")[0].GetString(), StringComparison.Ordinal);
        var invoice = errors.GetProperty("rules.conditions[1].when")[0].GetString()!;
        Assert.StartsWith($"line {LineOf(yaml, "when: events.count30d.invoce")}: at character 1: unknown field 'events.count30d.invoce'", invoice, StringComparison.Ordinal);
        Assert.EndsWith("did you mean events.count30d.invoice?", invoice, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/expansion-opportunity")).StatusCode);

        (status, body) = await RegisterAsync(app, Example(), "application/yaml");
        Assert.True(status == HttpStatusCode.Created, body.ToString());
    }

    [Fact]
    public async Task Register_FieldComparedWithAnotherKind_Is400NamingLineAndReason_NothingStored()
    {
        await using var app = await AgentCrmApp.StartAsync();
        const string Json = """
            {"id":"kinds","version":"1.0.0","kind":"rules","scenario":"test","subscribes":["support_ticket"],
             "reads":["tickets.open"],"purpose":"customer-success","threshold":0.5,
             "rules":{"conditions":[
               {"name":"many","when":"tickets.open > 'two'"}]}}
            """;
        var (status, body) = await RegisterAsync(app, Json, "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("line 4: at character 14: '>' compares a number with a text; it would always be false.",
            body.GetProperty("errors").GetProperty("rules.conditions[0].when")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/kinds")).StatusCode);
    }

    [Theory]
    [InlineData("gate:", "gate")]
    [InlineData("reads:", "reads")]
    [InlineData("parameters: ~", "parameters")]
    [InlineData("reads: [tickets.open, ~]", "reads[1]")]
    [InlineData("rules: { brief: ~, conditions: [{ name: many, when: tickets.open > 3 }] }", "rules.brief")]
    [InlineData("rules: { defaults: ~, conditions: [{ name: many, when: tickets.open > 3 }] }", "rules.defaults")]
    [InlineData("rules: { conditions: ~ }", "rules.conditions")]
    [InlineData("rules: { conditions: [~] }", "rules.conditions[0]")]
    [InlineData("cooldownDays: NaN", "cooldownDays")]
    [InlineData("gate: { minPrecision: NaN }", "gate.minPrecision")]
    [InlineData("gate: { minRecall: NaN }", "gate.minRecall")]
    public async Task Register_NullOrNaNField_Is400NamingIt_Not500(string line, string path)
    {
        await using var app = await AgentCrmApp.StartAsync();
        var fields = new Dictionary<string, string>
        {
            ["reads"] = "reads: [tickets.open]",
            ["rules"] = "rules: { conditions: [{ name: many, when: tickets.open > 3 }] }",
        };
        fields[line.Split(':')[0]] = line;
        var yaml = "id: null-fields\nversion: 1.0.0\nkind: rules\nscenario: test\nsubscribes: [support_ticket]\npurpose: customer-success\n"
            + string.Join("\n", fields.Values) + "\n";
        var (status, body) = await RegisterAsync(app, yaml, "application/yaml");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body.GetProperty("errors").TryGetProperty(path, out var messages), body.ToString());
        Assert.DoesNotContain("not valid JSON", messages[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/null-fields")).StatusCode);
    }

    [Fact]
    public async Task Register_EmptyTextFields_AreAcceptedAsBefore_AndTheSameFileAgainIsUnchanged()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // In YAML an empty value is null; earlier builds stored these versions with the nulls, so they must keep registering.
        var yaml = "id: empty-texts\nversion: 1.0.0\nkind: rules\nscenario: test\nsubscribes: [support_ticket]\npurpose: customer-success\n"
            + "reads: [tickets.open]\ndescription:\nknowledgeQuery:\n"
            + "rules: { conditions: [{ name: many, when: tickets.open > 3, weight: 1, explain: ~ }], brief: { headline: ~ } }\n";
        var (status, body) = await RegisterAsync(app, yaml, "application/yaml");
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        (status, body) = await RegisterAsync(app, yaml, "application/yaml");
        Assert.True(status == HttpStatusCode.OK, body.ToString());
    }

    [Theory]
    [InlineData("? [a, b]\n: 1\n", 7)]
    [InlineData("{[a]: 1}: 2\n", 7)]
    [InlineData("rules: { brief: { ? { headline: x } : y }, conditions: [{ name: many, when: tickets.open > 3 }] }\n", 7)]
    public async Task Register_YamlKeyThatIsAListOrMapping_Is400NamingTheLine_Not500(string tail, int line)
    {
        await using var app = await AgentCrmApp.StartAsync();
        var yaml = "id: complex-key\nversion: 1.0.0\nkind: rules\nscenario: test\nsubscribes: [support_ticket]\nreads: [tickets.open]\n" + tail;
        var (status, body) = await RegisterAsync(app, yaml, "application/yaml");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith($"Malformed YAML (line {line}, ", body.GetProperty("errors").GetProperty("$")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/complex-key")).StatusCode);
    }

    [Fact]
    public async Task RulesAgent_HotRegister_Evaluate_Promote_Briefs_Unregister_WithoutRestart()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        var cutoff = now.AddDays(-1);
        var events = new List<JsonObject>();
        var labels = new StringBuilder("customerId,cutoff,label\n");
        for (var i = 0; i < 240; i++)
        {
            var id = $"case-{i:000}";
            var positive = i % 4 == 0;
            events.AddRange((i % 4) switch
            {
                0 => Expansion(id, cutoff),
                1 => Expansion(id, cutoff, order: true),
                2 => Expansion(id, cutoff, inquiries: 1),
                _ => Timelines.Healthy(id, cutoff),
            });
            labels.Append(CultureInfoInvariant($"{id},{cutoff:yyyy-MM-ddTHH:mm:ssZ},{(positive ? 1 : 0)}\n"));
        }
        var added = await app.Client.PostAsync("/v1/cases/expansion", CaseFiles.Upload(string.Join("\n", events.Select(e => e.ToJsonString())), labels.ToString()));
        Assert.True(added.StatusCode == HttpStatusCode.Created, await added.Content.ReadAsStringAsync());

        var (status, body) = await RegisterAsync(app, Example(), "application/yaml");
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal("registered", body.GetProperty("state").GetString());
        var refused = await app.Client.PostAsync("/v1/agents/expansion-opportunity/versions/1.0.0/promote", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);

        var report = await app.EvaluateAsync("expansion-opportunity", "1.0.0", "expansion");
        Assert.True(report.GetProperty("passed").GetBoolean(), report.ToString());
        Assert.Equal(240, report.GetProperty("cases").GetInt32());
        Assert.Equal(1.0, report.GetProperty("precision").GetDouble());
        Assert.Equal(1.0, report.GetProperty("recall").GetDouble());
        await app.EvaluateAndPromoteAsync("expansion-opportunity", "1.0.0", "expansion");

        await app.PostEventsAsync(Expansion("live-yes", now, name: "Umbrella"));
        await app.PostEventsAsync(Expansion("live-order", now, order: true));
        await app.WaitForProcessingAsync();
        var briefs = await app.BriefsAsync("&agentId=expansion-opportunity");
        var brief = Assert.Single(briefs);
        Assert.Equal("live-yes", brief.GetProperty("customerId").GetString());
        Assert.Equal("Expansion opportunity for Umbrella: 2 inquiries, no order yet", brief.GetProperty("headline").GetString());
        Assert.Contains("Next step: Call the contact behind the inquiries", brief.GetProperty("body").GetString(), StringComparison.Ordinal);
        var inquiries = brief.GetProperty("reasons").EnumerateArray().Single(r => r.GetProperty("field").GetString() == "events.count30d.email.inquiry");
        Assert.Equal("2 inquiries in 30 days", inquiries.GetProperty("explanation").GetString());
        Assert.Contains("live-yes-inq-1", inquiries.GetProperty("eventIds").EnumerateArray().Select(e => e.GetString()));

        // The name is an optionalReads field: a customer who withholds identity still gets the brief, without the name.
        using (var consent = await app.Client.PutAsync("/v1/customers/live-anon/consent",
            new StringContent("""{"grants":[{"purpose":"customer-success","categories":["activity"]}]}""", Encoding.UTF8, "application/json")))
            Assert.True(consent.StatusCode == HttpStatusCode.OK, await consent.Content.ReadAsStringAsync());
        await app.PostEventsAsync(Expansion("live-anon", now, name: "Hidden Corp"));
        await app.WaitForProcessingAsync();
        var anon = Assert.Single(await app.BriefsAsync("&agentId=expansion-opportunity&customerId=live-anon"));
        Assert.Equal("Expansion opportunity for this customer: 2 inquiries, no order yet", anon.GetProperty("headline").GetString());

        var deleted = await app.Client.DeleteAsync("/v1/agents/expansion-opportunity");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        await app.PostEventsAsync(Expansion("after-delete", now));
        await app.WaitForProcessingAsync();
        Assert.Empty(await app.BriefsAsync("&agentId=expansion-opportunity&customerId=after-delete"));
        Assert.Equal("retired", (await app.GetJsonAsync("/v1/agents/expansion-opportunity")).GetProperty("versions")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task RunawayRule_IsStoppedAndCountedInHealth_TheActorKeepsBriefing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var manifest = """
            id: runaway
            version: 1.0.0
            kind: rules
            scenario: test
            subscribes: [support_ticket, nps]
            reads: [profile.name, tickets.open]
            purpose: customer-success
            threshold: 0.5
            rules:
              conditions:
                - name: blowup
                  when: len(repeat(profile.name, tickets.open * 1000000)) > 0
            """;
        var (status, body) = await RegisterAsync(app, manifest, "application/yaml");
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PostAsync("/v1/agents/runaway/versions/1.0.0/shadow", null)).StatusCode);

        await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();

        var health = await app.GetJsonAsync("/v1/agents/runaway/health");
        var v = health.GetProperty("versions")[0];
        // Three events reach it (two tickets, one NPS): each stopped and counted, none assessed.
        Assert.Equal(3, v.GetProperty("errors").GetInt64());
        Assert.Equal(0, v.GetProperty("evaluations").GetInt64());
        // The same actor turn went on to the built-in agent, which briefed as usual.
        Assert.NotEmpty(await app.BriefsAsync("&agentId=renewal-risk&customerId=acme"));
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/v1/customers/acme")).StatusCode);
    }

    [Fact]
    public async Task Contains_OfALongPatternInALongText_StaysWithinItsCharge_NotSeconds()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // Four searches of a 4,001-character pattern in a 200,000-character text: 816,000 steps, within the budget. Searched
        // ignoring case directly, each took about half a second to two seconds (pattern × text), the actor's turn with it.
        var manifest = """
            id: long-contains
            version: 1.0.0
            kind: rules
            scenario: test
            subscribes: [document]
            reads: [documents.text]
            purpose: customer-success
            threshold: 0.5
            rules:
              maxSteps: 1000000
              conditions:
                - name: found
                  when: contains(documents.text, repeat('a', 4000) + 'b') or contains(documents.text, repeat('A', 4000) + 'B') or contains(documents.text, repeat('a', 4000) + 'x') or contains(documents.text, repeat('a', 4000) + 'C')
                  weight: 0.5
            """;
        var (status, body) = await RegisterAsync(app, manifest, "application/yaml");
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PostAsync("/v1/agents/long-contains/versions/1.0.0/shadow", null)).StatusCode);

        await app.PostEventsAsync([Ev.Make("long-text", "document", DateTimeOffset.UtcNow.AddHours(-1), new { text = new string('a', 199_999) + "c", docType = "terms" })]);
        await app.WaitForProcessingAsync();

        var v = (await app.GetJsonAsync("/v1/agents/long-contains/health")).GetProperty("versions")[0];
        Assert.Equal(1, v.GetProperty("evaluations").GetInt64());
        Assert.Equal(0, v.GetProperty("errors").GetInt64());
        // The last pattern ends in 'C', which the text ends with when case is ignored: found.
        Assert.Equal(1, v.GetProperty("fired").GetInt64());
        Assert.True(v.GetProperty("assessLatencyMs").GetProperty("p99").GetDouble() < 500, v.ToString());
    }

    private static string CultureInfoInvariant(FormattableString s) => s.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
