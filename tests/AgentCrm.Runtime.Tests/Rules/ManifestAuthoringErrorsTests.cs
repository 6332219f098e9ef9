using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Runtime.Tests.Cli;

namespace AgentCrm.Runtime.Tests.Rules;

/// <summary>
/// A manifest author's slips and what they are told (qa36c): an event type subscribed twice, a field read twice or both
/// required and optional; a tab in the indentation; a value of the wrong type; a body labelled JSON that is empty or YAML.
/// </summary>
public sealed class ManifestAuthoringErrorsTests
{
    private static string Json(string subscribes = "\"support_ticket\"", string reads = "\"tickets.open\"", string optionalReads = "") => $$$"""
        {"id":"repeats","version":"1.0.0","kind":"rules","scenario":"test","subscribes":[{{{subscribes}}}],"reads":[{{{reads}}}],
         "optionalReads":[{{{optionalReads}}}],"purpose":"customer-success","threshold":0.5,
         "rules":{"conditions":[{"name":"many","when":"tickets.open > 3","weight":1}]}}
        """;

    private static async Task<JsonElement> ErrorsAsync(AgentCrmApp app, string body, string contentType)
    {
        using var response = await app.Client.PostAsync("/v1/agents", new StringContent(body, Encoding.UTF8, contentType));
        return (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
    }

    [Fact]
    public async Task Register_AnEventTypeOrAFieldGivenTwice_Is400NamingTheRepeat_NothingRegistered()
    {
        await using var app = await AgentCrmApp.StartAsync();

        var subscribes = await ErrorsAsync(app, Json(subscribes: "\"support_ticket\",\"nps\",\"support_ticket\""), "application/json");
        var reads = await ErrorsAsync(app, Json(reads: "\"tickets.open\",\"profile.name\",\"tickets.open\""), "application/json");
        var both = await ErrorsAsync(app, Json(optionalReads: "\"profile.name\",\"tickets.open\""), "application/json");
        var optional = await ErrorsAsync(app, Json(optionalReads: "\"profile.name\",\"profile.name\""), "application/json");

        Assert.Equal("line 1: 'support_ticket' is subscribes[0] already; name each event type once (the agent runs once per event).",
            Assert.Single(subscribes.EnumerateObject()).Value[0].GetString());
        Assert.Equal("subscribes[2]", subscribes.EnumerateObject().Single().Name);
        Assert.Equal("reads[2]", Assert.Single(reads.EnumerateObject()).Name);
        Assert.Equal("line 2: 'tickets.open' is in reads too (reads[0]); a field is required (reads) or optional (optionalReads), not both: remove one.",
            both.GetProperty("optionalReads[1]")[0].GetString());
        Assert.Equal("optionalReads[1]", Assert.Single(optional.EnumerateObject()).Name);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/repeats")).StatusCode);
    }

    [Fact]
    public async Task Register_AnEventTypeGivenTwice_FromTheCli_FailsWithOneLineNamingIt()
    {
        var dir = TempDirectory.Create();
        var manifest = Path.Combine(dir, "repeats.json");
        await File.WriteAllTextAsync(manifest, Json(subscribes: "\"support_ticket\",\"support_ticket\""));

        var refused = await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir]);

        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith($"agentcrm: {manifest}: subscribes[1]: line 1: 'support_ticket' is subscribes[0] already; name each event type once (the agent runs once per event).",
            Assert.Single(refused.Stderr.Trim().Split('\n')), StringComparison.Ordinal);
    }

    /// <summary>A version an earlier build stored with an event type subscribed twice still loads, and runs once per event, not twice.</summary>
    [Fact]
    public async Task StoredVersion_SubscribedTwiceToAType_RunsOncePerEvent()
    {
        var dir = TempDirectory.Create();
        await (await AgentCrmApp.StartAsync(dir)).DisposeAsync();
        var manifest = JsonSerializer.Deserialize<AgentManifest>(Json(subscribes: "\"support_ticket\",\"support_ticket\",\"support_ticket\""), ManifestReader.Json)!;
        StoredVersions.InsertAsEarlierBuild(dir, manifest, "shadow");
        await using var app = await AgentCrmApp.StartAsync(dir);

        var posted = await app.PostEventsAsync([Ev.Make("twice", "support_ticket", DateTimeOffset.UtcNow.AddHours(-1), new { ticketId = "T1", status = "open" })]);
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        await app.WaitForProcessingAsync();

        var version = (await app.GetJsonAsync("/v1/agents/repeats/health")).GetProperty("versions")[0];
        Assert.Equal("shadow", version.GetProperty("state").GetString());
        Assert.Equal(1, version.GetProperty("evaluations").GetInt64());
    }

    /// <summary>A tab in the indentation is named at the tab, not at the document's start or the end of the line before.</summary>
    [Theory]
    [InlineData("id: a\nversion: 1.0.0\nkind: rules\n\tscenario: s\n", 4, 1)]
    [InlineData("id: a\nversion: 1.0.0\nkind: rules\nrules:\n  conditions:\n    - name: a\n      when: x > 1\n\t- name: b\n      when: x > 2\n", 8, 1)]
    [InlineData("id: a\nversion: 1.0.0\nkind: rules\nrules:\n  conditions:\n    - name: a\n      when: x > 1\n  \t    weight: 0.3\n", 8, 3)]
    [InlineData("id: a\nversion: 1.0.0\nsubscribes:\n  - { x: 1,\n\ty: 2 }\n", 5, 1)]
    [InlineData("id: a\nversion: 1.0.0\nsubscribes:\n  - [email,\n\tnps]\n", 5, 1)]
    public void Parse_ATabIndentingALine_NamesTheTabsLineAndColumn(string yaml, int line, int column)
    {
        var ex = Assert.Throws<ManifestException>(() => ManifestReader.Parse(yaml, "application/yaml"));

        Assert.Equal($"Malformed YAML (line {line}, column {column}): a tab indents this line; YAML indents with spaces only.", Assert.Single(ex.Errors["$"]));
    }

    /// <summary>A value of the wrong type says what the field takes and what it got, with its field and line.</summary>
    [Theory]
    [InlineData("application/json", "{\"id\":\"a-1\",\"version\":\"1.0.0\",\"kind\":\"rules\",\n\"threshold\":\"0.5\"}", "threshold", "line 2: expected a number, not the text '0.5' (write it without quotes: 0.5).")]
    [InlineData("application/json", "{\"id\":\"a-1\",\"version\":\"1.0.0\",\"kind\":\"rules\",\n\"rules\":{\"conditions\":[{\"name\":\"a\",\"when\":\"x > 1\",\"weight\":null}]}}", "rules.conditions[0].weight", "line 2: expected a number, not null.")]
    [InlineData("application/yaml", "id: a-1\nversion: 2.0\nkind: rules\n", "version", "line 2: expected text, not the number 2.0 (quote it: '2.0').")]
    [InlineData("application/yaml", "id: a-1\nversion: 1.0.0\nkind: rules\nscenario: 2026\n", "scenario", "line 4: expected text, not the number 2026 (quote it: '2026').")]
    [InlineData("application/yaml", "id: a-1\nversion: 1.0.0\nkind: rules\nrules:\n  conditions:\n    - name: a\n      when: true\n", "rules.conditions[0].when", "line 7: expected text, not true (quote it: 'true').")]
    [InlineData("application/yaml", "id: a-1\nversion: 1.0.0\nkind: rules\nvetoPolicy: reviewbeforedelivery\n", "vetoPolicy", "line 4: expected one of deliverThenVeto, reviewBeforeDelivery, not the text 'reviewbeforedelivery'; did you mean reviewBeforeDelivery?")]
    [InlineData("application/yaml", "id: a-1\nversion: 1.0.0\nkind: rules\nvetoPolicy: never\n", "vetoPolicy", "line 4: expected one of deliverThenVeto, reviewBeforeDelivery, not the text 'never'.")]
    [InlineData("application/yaml", "id: a-1\nversion: 1.0.0\nkind: rules\ngate: { minCases: many }\n", "gate.minCases", "line 4: expected a whole number, not the text 'many'.")]
    [InlineData("application/yaml", "id: a-1\nversion: 1.0.0\nkind: rules\nsubscribes: support_ticket\n", "subscribes", "line 4: expected a list, not the text 'support_ticket'.")]
    public void Parse_AValueOfTheWrongType_SaysWhatTheFieldTakes(string contentType, string body, string field, string message)
    {
        var source = (Action)(() => ManifestReader.Parse(body, contentType));

        var ex = Assert.Throws<ManifestException>(source);

        Assert.Equal(field, Assert.Single(ex.Errors).Key);
        Assert.Equal(message, Assert.Single(ex.Errors[field]));
    }

    /// <summary>A body labelled JSON is read as JSON: empty, it says so; YAML under that label is a JSON error at its position.</summary>
    [Fact]
    public async Task Register_ABodyLabelledJson_IsReadAsJsonOnly()
    {
        await using var app = await AgentCrmApp.StartAsync();
        const string Yaml = "id: labelled\nversion: 1.0.0\nkind: rules\nscenario: test\nsubscribes: [support_ticket]\nreads: [tickets.open]\npurpose: customer-success\nrules:\n  conditions: [{ name: many, when: tickets.open > 3 }]\n";

        var empty = await ErrorsAsync(app, "", "application/json");
        var blank = await ErrorsAsync(app, "  \n", "application/json");
        var yaml = await ErrorsAsync(app, Yaml, "application/json");

        Assert.Equal("The body is empty; send the manifest as a JSON object (Content-Type: application/json).", empty.GetProperty("$")[0].GetString());
        Assert.Equal(empty.GetProperty("$")[0].GetString(), blank.GetProperty("$")[0].GetString());
        var json = yaml.GetProperty("$")[0].GetString()!;
        Assert.StartsWith("Malformed JSON at line 1, column 1: ", json, StringComparison.Ordinal);
        Assert.DoesNotContain("YAML", json, StringComparison.Ordinal);
        // Under its own label YAML registers as before.
        using var asYaml = await app.Client.PostAsync("/v1/agents", new StringContent(Yaml, Encoding.UTF8, "application/yaml"));
        Assert.True(asYaml.StatusCode == HttpStatusCode.Created, await asYaml.Content.ReadAsStringAsync());
    }

    /// <summary>Unlabelled (a plugin's manifest sent as a form field), an empty manifest is an empty body, not an empty YAML document.</summary>
    [Fact]
    public void Parse_AnEmptyUnlabelledManifest_SaysTheBodyIsEmpty()
    {
        var ex = Assert.Throws<ManifestException>(() => ManifestReader.Parse(" \n", null));

        Assert.Equal("The body is empty; send a manifest, JSON (Content-Type: application/json) or YAML (Content-Type: application/yaml).", Assert.Single(ex.Errors["$"]));
    }

    /// <summary>The CLI labels a file by its extension: .json is JSON only, another extension is read by its content.</summary>
    [Fact]
    public async Task CliRegister_AYamlManifestInAFileWithoutAYamlExtension_Registers_InAJsonFile_IsAJsonError()
    {
        var dir = TempDirectory.Create();
        var yaml = await File.ReadAllTextAsync(await CliTests.NpsWatchManifestAsync(dir));
        var txt = Path.Combine(dir, "watch.txt");
        var json = Path.Combine(dir, "watch.json");
        await File.WriteAllTextAsync(txt, yaml);
        await File.WriteAllTextAsync(json, yaml);

        var asJson = await CliRunner.RunAsync(["agents", "register", json, "--data", dir]);
        var asText = await CliRunner.RunAsync(["agents", "register", txt, "--data", dir]);

        Assert.Equal(1, asJson.ExitCode);
        Assert.StartsWith($"agentcrm: {json}: Malformed JSON at line 1, column 1", Assert.Single(asJson.Stderr.Trim().Split('\n')), StringComparison.Ordinal);
        Assert.True(asText.ExitCode == 0, asText.Stderr);
    }
}
