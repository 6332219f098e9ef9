using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Agents;

namespace AgentCrm.Runtime.Tests.Rules;

public sealed class ManifestSchemaTests
{
    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AgentCrm.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Expected the tests to run inside the repository (AgentCrm.sln not found above the test output).");
    }

    [Fact]
    public void CheckedInSchema_EqualsTheGeneratedOne()
    {
        var path = Path.Combine(RepositoryRoot(), ManifestSchema.RepositoryPath);
        var generated = ManifestSchema.Generate();
        // Regenerate after changing the manifest types: AGENTCRM_UPDATE_SCHEMA=1 dotnet test --filter CheckedInSchema
        if (Environment.GetEnvironmentVariable("AGENTCRM_UPDATE_SCHEMA") == "1")
            File.WriteAllText(path, generated);
        Assert.True(File.Exists(path), $"Expected the schema at {ManifestSchema.RepositoryPath}; generate it with AGENTCRM_UPDATE_SCHEMA=1.");
        Assert.Equal(generated, File.ReadAllText(path).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Schema_DescribesRulesConditions_AndRequiresWhatRegistrationRequires()
    {
        var schema = JsonDocument.Parse(ManifestSchema.Generate()).RootElement;
        Assert.Equal(["id", "kind", "purpose", "scenario", "subscribes", "version"], Strings(schema.GetProperty("required")).Order(StringComparer.Ordinal));
        var rules = schema.GetProperty("properties").GetProperty("rules");
        var condition = rules.GetProperty("properties").GetProperty("conditions").GetProperty("items");
        Assert.Equal(["name", "when"], Strings(condition.GetProperty("required")).Order(StringComparer.Ordinal));
        Assert.Contains("true/false expression", condition.GetProperty("properties").GetProperty("when").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(["deliverThenVeto", "reviewBeforeDelivery"], Strings(schema.GetProperty("properties").GetProperty("vetoPolicy").GetProperty("enum")));
    }

    private static string With(string json, Action<JsonObject> change)
    {
        var manifest = JsonNode.Parse(json)!.AsObject();
        change(manifest);
        return manifest.ToJsonString();
    }

    private static string Emoji(int count) => string.Concat(Enumerable.Repeat("\U0001F600", count));

    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();

    /// <summary>Empty documents (a leading or trailing ---) do not count; a second manifest does.</summary>
    [Fact]
    public void AManifestBetweenDocumentMarkers_ReadsAsOne_TwoManifestsAreRefused()
    {
        var example = File.ReadAllText(Path.Combine(RepositoryRoot(), "agents/examples/expansion-opportunity.yaml"));

        Assert.Equal("expansion-opportunity", ManifestReader.Parse("---\n" + example + "\n---\n", "application/yaml").Manifest.Id);
        var two = Assert.Throws<ManifestException>(() => ManifestReader.Parse(example + "\n---\n" + example, "application/yaml"));
        Assert.Contains("2 documents", two.Message, StringComparison.Ordinal);
    }

    /// <summary>A key given twice is named by its path and line, as a JSON manifest's duplicate is (it was under "$").</summary>
    [Theory]
    [InlineData("id: a\nversion: 1.0.0\nkind: rules\nversion: 1.0.1\n", "version", 4)]
    [InlineData("id: a\nversion: 1.0.0\nkind: rules\nrules:\n  conditions:\n    - name: x\n      when: a == 1\n    - name: y\n      when: b == 1\n      when: c == 1\n", "rules.conditions[1].when", 10)]
    [InlineData("id: a\nversion: 1.0.0\nkind: rules\nparameters: {k: 1, k: 2}\n", "parameters.k", 4)]
    [InlineData("id: a\nversion: 1.0.0\nkind: rules\nreads: [x, y]\ngate:\n  minCases: 1\n  minCases: 2\n", "gate.minCases", 7)]
    public void AKeyGivenTwice_IsNamedByItsPathAndLine(string yaml, string path, int line)
    {
        var ex = Assert.Throws<ManifestException>(() => ManifestReader.Parse(yaml, "application/yaml"));
        var (field, messages) = Assert.Single(ex.Errors);
        Assert.Equal(path, field);
        Assert.Equal($"line {line}: '{path.Split('.')[^1].Split(']')[^1]}' is given twice; give each field once.", Assert.Single(messages));
    }

    /// <summary>An editor's view: ajv (draft 2020-12, via npm) accepts the shipped example and refuses a broken manifest.</summary>
    [Fact]
    public async Task Ajv_AcceptsTheExample_RefusesAMissingWhenAndAnUnknownPolicy()
    {
        var root = RepositoryRoot();
        var scripts = await SchemaJs.InstallAsync();

        var dir = TempDirectory.Create();
        var example = ManifestReader.Parse(File.ReadAllText(Path.Combine(root, "agents/examples/expansion-opportunity.yaml")), "application/yaml").Manifest;
        var good = Path.Combine(dir, "good.json");
        File.WriteAllText(good, JsonSerializer.Serialize(example, ManifestReader.Json));
        var bad = Path.Combine(dir, "bad.json");
        File.WriteAllText(bad, """
            {"id":"x-1","version":"1.0.0","kind":"rules","vetoPolicy":"sometimes",
             "rules":{"conditions":[{"name":"a","weight":0.5}]}}
            """);
        var run = await SchemaJs.RunAsync("node", scripts, Path.Combine(scripts, "validate.js"), Path.Combine(root, ManifestSchema.RepositoryPath), good, bad);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var results = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.True(results[0].GetProperty("valid").GetBoolean(), results[0].ToString());
        Assert.False(results[1].GetProperty("valid").GetBoolean());
        var errors = results[1].GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains(errors, e => e.Contains("/rules/conditions/0", StringComparison.Ordinal) && e.Contains("'when'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("/vetoPolicy", StringComparison.Ordinal));
    }

    /// <summary>
    /// The schema and registration give every document the same verdict: ajv (draft 2020-12) on one side, the reader and the
    /// rules kind (what POST /v1/agents runs) on the other. Each case names the verdict both must reach.
    /// </summary>
    [Fact]
    public async Task Ajv_AndRegistration_AgreeOnEveryDocument()
    {
        const string Base = """
            {"id":"diff-1","version":"1.0.0","kind":"rules","scenario":"test","subscribes":["support_ticket"],"reads":["tickets.open"],
             "purpose":"customer-success","threshold":0.5,"vetoPolicy":"deliverThenVeto","gate":{"minCases":5},
             "rules":{"conditions":[{"name":"many","when":"tickets.open > 3","weight":1,"explain":"many"}],"maxSteps":1000}}
            """;
        (string Name, string Json, bool Valid)[] cases =
        [
            ("base", Base, true),
            ("threshold .5 as text", Base.Replace("\"threshold\":0.5", "\"threshold\":\".5\"", StringComparison.Ordinal), false),
            ("threshold 0.5 as text", Base.Replace("\"threshold\":0.5", "\"threshold\":\"0.5\"", StringComparison.Ordinal), false),
            ("threshold 1.5", Base.Replace("\"threshold\":0.5", "\"threshold\":1.5", StringComparison.Ordinal), false),
            ("explain null", Base.Replace("\"explain\":\"many\"", "\"explain\":null", StringComparison.Ordinal), false),
            ("description null", Base.Replace("\"purpose\"", "\"description\":null,\"purpose\"", StringComparison.Ordinal), false),
            ("vetoPolicy lower case", Base.Replace("deliverThenVeto", "deliverthenveto", StringComparison.Ordinal), false),
            ("vetoPolicy review", Base.Replace("deliverThenVeto", "reviewBeforeDelivery", StringComparison.Ordinal), true),
            ("minCases 5.0", Base.Replace("\"minCases\":5", "\"minCases\":5.0", StringComparison.Ordinal), true),
            ("minCases 5.5", Base.Replace("\"minCases\":5", "\"minCases\":5.5", StringComparison.Ordinal), false),
            ("minCases 0", Base.Replace("\"minCases\":5", "\"minCases\":0", StringComparison.Ordinal), false),
            ("minCases as text", Base.Replace("\"minCases\":5", "\"minCases\":\"5\"", StringComparison.Ordinal), false),
            ("maxSteps 1000.0", Base.Replace("\"maxSteps\":1000", "\"maxSteps\":1000.0", StringComparison.Ordinal), true),
            ("maxSteps 0", Base.Replace("\"maxSteps\":1000", "\"maxSteps\":0", StringComparison.Ordinal), false),
            ("maxSteps over the cap", Base.Replace("\"maxSteps\":1000", "\"maxSteps\":1000001", StringComparison.Ordinal), false),
            ("no scenario", Base.Replace("\"scenario\":\"test\",", "", StringComparison.Ordinal), false),
            ("no subscribes", Base.Replace("\"subscribes\":[\"support_ticket\"],", "", StringComparison.Ordinal), false),
            ("no purpose", Base.Replace("\"purpose\":\"customer-success\",", "", StringComparison.Ordinal), false),
            ("empty subscribes", Base.Replace("[\"support_ticket\"]", "[]", StringComparison.Ordinal), false),
            ("unknown event type", Base.Replace("[\"support_ticket\"]", "[\"phone_call\"]", StringComparison.Ordinal), false),
            ("unknown field prefix", Base.Replace("\"reads\":[\"tickets.open\"]", "\"reads\":[\"tickets.open\",\"secret.x\"]", StringComparison.Ordinal), false),
            ("version with a leading zero", Base.Replace("\"1.0.0\"", "\"01.0.0\"", StringComparison.Ordinal), false),
            ("version with a suffix", Base.Replace("\"1.0.0\"", "\"1.0.0-rc.1\"", StringComparison.Ordinal), true),
            ("version suffix with a leading zero", Base.Replace("\"1.0.0\"", "\"1.0.0-rc.01\"", StringComparison.Ordinal), false),
            ("scenario with a bidi override", Base.Replace("\"scenario\":\"test\"", "\"scenario\":\"te\\u202Est\"", StringComparison.Ordinal), false),
            ("scenario blank", Base.Replace("\"scenario\":\"test\"", "\"scenario\":\"  \"", StringComparison.Ordinal), false),
            ("purpose upper case", Base.Replace("customer-success", "Customer-Success", StringComparison.Ordinal), false),
            ("id upper case", Base.Replace("diff-1", "Diff-1", StringComparison.Ordinal), false),
            ("weight 2", Base.Replace("\"weight\":1", "\"weight\":2", StringComparison.Ordinal), false),
            ("no conditions", Base.Replace("[{\"name\":\"many\",\"when\":\"tickets.open > 3\",\"weight\":1,\"explain\":\"many\"}]", "[]", StringComparison.Ordinal), false),
            ("condition name with a space", Base.Replace("\"name\":\"many\"", "\"name\":\"many tickets\"", StringComparison.Ordinal), false),
            ("default null", Base.Replace("\"maxSteps\"", "\"defaults\":{\"tickets.open\":null},\"maxSteps\"", StringComparison.Ordinal), false),
            ("default a number", Base.Replace("\"maxSteps\"", "\"defaults\":{\"tickets.open\":0},\"maxSteps\"", StringComparison.Ordinal), true),
            ("default of an unknown field", Base.Replace("\"maxSteps\"", "\"defaults\":{\"secret.x\":0},\"maxSteps\"", StringComparison.Ordinal), false),
            ("default text over the limit", Base.Replace("\"maxSteps\"", $"\"defaults\":{{\"services.internet\":\"{new string('x', 4097)}\"}},\"maxSteps\"", StringComparison.Ordinal).Replace("[\"tickets.open\"]", "[\"tickets.open\",\"services.internet\"]", StringComparison.Ordinal), false),
            ("unknown field", Base.Replace("\"purpose\"", "\"owner\":\"x\",\"purpose\"", StringComparison.Ordinal), false),
            ("maxErrorRate null", Base.Replace("\"minCases\":5", "\"minCases\":5,\"maxErrorRate\":null", StringComparison.Ordinal), true),
            // Text limits are counted in characters (code points) on both sides: an emoji is one, not two UTF-16 units.
            ("explain of 1,500 emoji", With(Base, m => m["rules"]!["conditions"]![0]!["explain"] = Emoji(1500)), true),
            ("explain of 2,001 emoji", With(Base, m => m["rules"]!["conditions"]![0]!["explain"] = Emoji(2001)), false),
            ("headline of 2,000 emoji", With(Base, m => m["rules"]!["brief"] = new JsonObject { ["headline"] = Emoji(2000) }), true),
            ("when with 1,000 emoji", With(Base, m => m["rules"]!["conditions"]![0]!["when"] = $"tickets.open > 3 or '{Emoji(1000)}' == 'x'"), true),
            ("default of 3,000 emoji", With(Base, m =>
            {
                m["reads"] = new JsonArray("tickets.open", "services.internet");
                m["rules"]!["defaults"] = new JsonObject { ["services.internet"] = Emoji(3000) };
            }), true),
            ("minCases past an int", Base.Replace("\"minCases\":5", "\"minCases\":3000000000", StringComparison.Ordinal), false),
            ("kind rules without rules", With(Base, m => m.Remove("rules")), false),
            ("kind rules with rules null", With(Base, m => m["rules"] = null), false),
            ("rules without conditions", With(Base, m => m["rules"] = new JsonObject()), false),
            ("rules on another kind", With(Base, m => m["kind"] = "renewal-risk"), false),
            ("scenario of 200 emoji", With(Base, m => m["scenario"] = Emoji(200)), true),
            ("scenario of 201 characters", With(Base, m => m["scenario"] = new string('s', 201)), false),
            ("description of 4,001 characters", With(Base, m => m["description"] = new string('d', 4001)), false),
            ("knowledgeQuery of 1,001 characters", With(Base, m => m["knowledgeQuery"] = new string('k', 1001)), false),
            ("501 reads", With(Base, m => m["reads"] = new JsonArray(Enumerable.Range(0, 501).Select(i => (JsonNode)(i == 0 ? "tickets.open" : $"services.s{i}")).ToArray())), false),
            ("500 reads", With(Base, m => m["reads"] = new JsonArray(Enumerable.Range(0, 500).Select(i => (JsonNode)(i == 0 ? "tickets.open" : $"services.s{i}")).ToArray())), true),
            // Each entry once (uniqueItems): a type subscribed twice ran the agent twice per event.
            ("an event type subscribed twice", Base.Replace("[\"support_ticket\"]", "[\"support_ticket\",\"nps\",\"support_ticket\"]", StringComparison.Ordinal), false),
            ("a field read twice", Base.Replace("\"reads\":[\"tickets.open\"]", "\"reads\":[\"tickets.open\",\"tickets.open\"]", StringComparison.Ordinal), false),
            // A rules agent takes one parameter, the re-brief rise, a number within 0-1 (qa38a #1: -1 turned the cooldown off).
            ("rescoreRise 0.5", With(Base, m => m["parameters"] = new JsonObject { ["rescoreRise"] = 0.5 }), true),
            ("rescoreRise -1", With(Base, m => m["parameters"] = new JsonObject { ["rescoreRise"] = -1 }), false),
            ("rescoreRise 50", With(Base, m => m["parameters"] = new JsonObject { ["rescoreRise"] = 50 }), false),
            ("rescoreRise as text", With(Base, m => m["parameters"] = new JsonObject { ["rescoreRise"] = "lots" }), false),
            ("another parameter", With(Base, m => m["parameters"] = new JsonObject { ["foo"] = 1 }), false),
            // A format character past the BMP is a surrogate pair (qa38a #3: a tag character registered).
            ("scenario with a tag character", With(Base, m => m["scenario"] = "telco\U000E0041-churn"), false),
            ("scenario with a musical format character", With(Base, m => m["scenario"] = "telco\U0001D173-churn"), false),
            ("an optional field read twice", Base.Replace("\"reads\":[\"tickets.open\"]", "\"reads\":[\"tickets.open\"],\"optionalReads\":[\"profile.name\",\"profile.name\"]", StringComparison.Ordinal), false),
        ];
        var root = RepositoryRoot();
        var scripts = await SchemaJs.InstallAsync();
        var dir = TempDirectory.Create();
        var files = cases.Select((c, i) => Path.Combine(dir, $"case{i}.json")).ToArray();
        for (var i = 0; i < cases.Length; i++)
            File.WriteAllText(files[i], cases[i].Json);
        var run = await SchemaJs.RunAsync("node", scripts, [Path.Combine(scripts, "validate.js"), Path.Combine(root, ManifestSchema.RepositoryPath), .. files]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var ajv = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

        var disagreements = new List<string>();
        for (var i = 0; i < cases.Length; i++)
        {
            var (name, json, valid) = cases[i];
            var schemaSays = ajv[i].GetProperty("valid").GetBoolean();
            string? refusal = null;
            try
            {
                var manifest = ManifestReader.Parse(json, "application/json").Manifest;
                ManifestReader.CheckSubmitted(manifest);
                new AgentCrm.Agents.Rules.RulesKind().CheckNew(manifest);
            }
            catch (ManifestException ex)
            {
                refusal = string.Join("; ", ex.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
            }
            if (schemaSays != valid || (refusal is null) != valid)
                disagreements.Add($"{name}: expected {(valid ? "valid" : "invalid")}; ajv {(schemaSays ? "valid" : "invalid: " + ajv[i].GetProperty("errors"))}; registration {refusal ?? "accepts"}");
        }
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }
}
