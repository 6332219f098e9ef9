using AgentCrm.Agents;
using AgentCrm.Agents.Rules;

namespace AgentCrm.Runtime.Tests.Rules;

/// <summary>What the reader accepts of JSON and YAML, and where its errors point, as POST /v1/agents reports them.</summary>
public sealed class ManifestReaderTests
{
    private const string Head = "id: reader-1\nversion: 1.0.0\nkind: rules\nscenario: test\nsubscribes: [support_ticket]\nreads: [tickets.open, profile.name]\npurpose: customer-success\n";

    /// <summary>What registration of a new version answers: the reader, the checks for submitted manifests, then the kind, errors annotated with lines (as AgentsApi does).</summary>
    private static Dictionary<string, string[]>? Register(string text, string contentType)
    {
        var lines = ManifestLines.None;
        try
        {
            var source = ManifestReader.Parse(text, contentType);
            lines = source.Lines;
            ManifestReader.CheckSubmitted(source.Manifest);
            new RulesKind().CheckNew(source.Manifest);
            return null;
        }
        catch (ManifestException ex)
        {
            return lines.Annotate(ex.Errors);
        }
    }

    private static string Refused(string text, string path, string contentType = "application/yaml")
    {
        var errors = Register(text, contentType);
        Assert.NotNull(errors);
        Assert.True(errors.TryGetValue(path, out var messages), string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
        return Assert.Single(messages);
    }

    /// <summary>An error inside a folded or literal block names the line it is on, not the key's line and an offset into the folded text.</summary>
    [Theory]
    [InlineData(">-")]
    [InlineData("|-")]
    [InlineData("")]
    public void Register_ErrorInAMultiLineExpression_NamesItsOwnLineAndColumn(string style)
    {
        var yaml = Head + "rules:\n  conditions:\n    - name: many\n      weight: 1\n      when: " + style + "\n"
            + "        tickets.open > 3\n"
            + "        and profile.name = 'x'\n";
        Assert.Equal("line 14, column 26: '=' is not an operator; compare with '=='.", Refused(yaml, "rules.conditions[0].when"));
    }

    [Fact]
    public void Register_ErrorInAMultiLineTemplate_NamesItsOwnLineAndColumn()
    {
        var yaml = Head + "rules:\n  conditions: [{ name: many, when: tickets.open > 3 }]\n  brief:\n    headline: >\n      Many tickets\n      at {upper(profile.name, 2)}\n";
        Assert.Equal("line 13, column 11: upper takes 1 argument(s), not 2.", Refused(yaml, "rules.brief.headline"));
    }

    /// <summary>Tags change what a value means and nothing here resolves them: refused at their line, not silently dropped.</summary>
    [Theory]
    [InlineData("threshold: !!null 0.5", 8, "!!null")]
    [InlineData("description: !custom hello", 8, "!custom")]
    [InlineData("knowledgeQuery: !!binary aGVsbG8=", 8, "!!binary")]
    [InlineData("rules:\n  conditions:\n    - !!map { name: many, when: tickets.open > 3 }", 10, "!!map")]
    public void Register_YamlTag_IsRefusedAtItsLine(string tail, int line, string tag)
    {
        var message = Refused(Head + tail + "\n", "$");
        Assert.StartsWith($"line {line}, column ", message, StringComparison.Ordinal);
        Assert.Contains($": the tag {tag} is not read; remove it", message, StringComparison.Ordinal);
    }

    /// <summary>
    /// YAML scalars read as YAML 1.2's core schema: unquoted 0.5 and 5.0 are numbers ('0.5' in quotes is a text, refused where a
    /// number is wanted, as JSON's "0.5" is), 5.0 fits an integer field as it does in JSON, 5.5 does not.
    /// </summary>
    [Theory]
    [InlineData("threshold: 0.5", null)]
    [InlineData("threshold: .5", null)]
    [InlineData("threshold: '0.5'", "threshold")]
    [InlineData("gate: { minCases: 5.0 }", null)]
    [InlineData("gate: { minCases: 5.5 }", "gate.minCases")]
    [InlineData("vetoPolicy: reviewBeforeDelivery", null)]
    [InlineData("vetoPolicy: ReviewBeforeDelivery", "vetoPolicy")]
    public void Register_YamlScalars_ReadAsTheirJsonCounterparts(string line, string? refused)
    {
        var yaml = Head + line + "\nrules: { conditions: [{ name: many, when: tickets.open > 3, weight: 1 }] }\n";
        var errors = Register(yaml, "application/yaml");
        if (refused is null)
            Assert.Null(errors);
        else
            Assert.True(errors is not null && errors.ContainsKey(refused), errors is null ? "accepted" : string.Join("; ", errors.Keys));
    }

    /// <summary>In JSON a text may not be null; YAML's empty value (its null) stays accepted for texts, as files registered before hold it.</summary>
    [Fact]
    public void Register_NullText_IsRefusedInJson_AcceptedEmptyInYaml()
    {
        const string Json = """
            {"id":"reader-1","version":"1.0.0","kind":"rules","scenario":"test","subscribes":["support_ticket"],"reads":["tickets.open"],
             "purpose":"customer-success","rules":{"conditions":[{"name":"many","when":"tickets.open > 3","explain":null}]}}
            """;
        Assert.Equal("line 2: null is not a text; give a text (\"\" for none) or leave the field out.", Refused(Json, "rules.conditions[0].explain", "application/json"));
        Assert.Null(Register(Head + "description:\nrules: { conditions: [{ name: many, when: tickets.open > 3, explain: ~ }] }\n", "application/yaml"));
    }

    [Theory]
    [InlineData("01.0.0", "version '01.0.0' is not a SemVer version: a version number has no leading zeros (01).")]
    [InlineData("1.00.0", "a version number has no leading zeros (00)")]
    [InlineData("1.0.0-rc.01", "a numeric part of the suffix has no leading zeros (01)")]
    [InlineData("1.0.0-rc..1", "the suffix has an empty part")]
    public void Register_VersionThatIsNotSemVer_IsRefused(string version, string expected) =>
        Assert.Contains(expected, Refused(Head.Replace("1.0.0", version, StringComparison.Ordinal) + "rules: { conditions: [{ name: many, when: tickets.open > 3 }] }\n", "version"), StringComparison.Ordinal);

    [Theory]
    [InlineData("1.0.0-rc.1")]
    [InlineData("10.20.30-0.alpha")]
    public void Register_SemVerVersion_IsAccepted(string version) =>
        Assert.Null(Register(Head.Replace("1.0.0", version, StringComparison.Ordinal) + "rules: { conditions: [{ name: many, when: tickets.open > 3 }] }\n", "application/yaml"));

    [Theory]
    [InlineData("\\u202E", "U+202E")]
    [InlineData("\\u200B", "U+200B")]
    [InlineData("\\a", "U+0007")]
    public void Register_ScenarioWithAHiddenCharacter_IsRefusedNamingIt(string hidden, string named)
    {
        var yaml = Head.Replace("scenario: test", $"scenario: \"te{hidden}st\"", StringComparison.Ordinal) + "rules: { conditions: [{ name: many, when: tickets.open > 3 }] }\n";
        Assert.Contains($"scenario has {named}: invisible or direction-changing characters", Refused(yaml, "scenario"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"id\":\"reader-1\",\n \"version\":\"1.0.0\",\n}", "Malformed JSON at line 3, column 1: a comma after the last field of an object; remove it (JSON allows no trailing comma).")]
    [InlineData("{\"id\":\"reader-1\",\n \"reads\":[\"tickets.open\",]}", "Malformed JSON at line 2, column 26: a comma after the last item of a list; remove it (JSON allows no trailing comma).")]
    public void Register_JsonTrailingComma_IsNamedPlainlyWithLineAndColumn(string json, string expected) =>
        Assert.Equal(expected, Refused(json, "$", "application/json"));

    /// <summary>A field no customer can have registered and never fired: refused at its line, naming the field meant.</summary>
    [Fact]
    public void Register_MistypedField_IsRefusedAtItsLine_NamingTheFieldMeant()
    {
        var yaml = Head.Replace("reads: [tickets.open, profile.name]", "reads: [tickets.open, events.count30d.email.Inquiry]", StringComparison.Ordinal)
            + "rules:\n  conditions:\n    - { name: many, when: tickets.open > 3 }\n    - name: typo\n      when: tickets.opne > 3\n";
        var errors = Register(yaml, "application/yaml");
        Assert.NotNull(errors);
        Assert.Equal("line 12: at character 1: unknown field 'tickets.opne'; did you mean tickets.open? (no event derives 'tickets.opne', so it would be absent for every customer)",
            Assert.Single(errors["rules.conditions[1].when"]));
        Assert.StartsWith("line 6: unknown field 'events.count30d.email.Inquiry'", Assert.Single(errors["reads[1]"]), StringComparison.Ordinal);
        Assert.EndsWith("did you mean events.count30d.email.inquiry?", errors["reads[1]"][0], StringComparison.Ordinal);
    }

    /// <summary>YAML 1.2 core integers beyond decimal: 0x10 and 0o7 are numbers, as the editors' yaml libraries read them (they were texts, refused).</summary>
    [Theory]
    [InlineData("cooldownDays: 0x10", 16.0)]
    [InlineData("cooldownDays: 0xA", 10.0)]
    [InlineData("cooldownDays: 0o7", 7.0)]
    [InlineData("cooldownDays: 0o17", 15.0)]
    [InlineData("cooldownDays: +12", 12.0)]
    [InlineData("cooldownDays: 0012", 12.0)]
    public void Read_YamlCoreIntegers_AreNumbers(string line, double expected) =>
        Assert.Equal(expected, ManifestReader.Parse(Head + line + "\nrules: { conditions: [{ name: many, when: tickets.open > 3 }] }\n", "application/yaml").Manifest.CooldownDays);

    [Theory]
    [InlineData("cooldownDays: 0o8")]
    [InlineData("cooldownDays: 0x")]
    [InlineData("cooldownDays: 0xG1")]
    [InlineData("cooldownDays: -0x10")]
    public void Read_YamlTextsThatOnlyLookLikeIntegers_StayTexts(string line) =>
        Assert.Contains("cooldownDays", Register(Head + line + "\nrules: { conditions: [{ name: many, when: tickets.open > 3 }] }\n", "application/yaml")!.Keys);

    /// <summary>An empty condition said "missing required fields: " and named none.</summary>
    [Fact]
    public void Register_EmptyCondition_NamesTheFieldsItMisses()
    {
        const string Json = """
            {"id":"reader-1","version":"1.0.0","kind":"rules","scenario":"test","subscribes":["support_ticket"],"reads":["tickets.open"],
             "purpose":"customer-success","rules":{"conditions":[{"name":"many","when":"tickets.open > 3"},{}]}}
            """;
        Assert.EndsWith("missing required fields: name, when", Refused(Json, "rules.conditions[1]", "application/json"), StringComparison.Ordinal);
        Assert.EndsWith("missing required fields: when", Refused(Json.Replace("{}", "{\"name\":\"x\"}", StringComparison.Ordinal), "rules.conditions[1]", "application/json"), StringComparison.Ordinal);
        Assert.EndsWith("missing required fields: version, kind", Refused("{\"id\":\"reader-1\"}", "$", "application/json"), StringComparison.Ordinal);
    }

    /// <summary>A 100,000-character scenario, a 1 MB description, a 200 KB knowledge query and 100,000 reads all registered.</summary>
    [Theory]
    [InlineData("scenario", 200)]
    [InlineData("description", 4000)]
    [InlineData("knowledgeQuery", 1000)]
    public void Register_TextOverItsLimit_IsRefused_AtTheLimitAccepted(string field, int limit)
    {
        string Yaml(int length) => Head.Replace("scenario: test\n", "", StringComparison.Ordinal)
            + $"{field}: \"{string.Concat(Enumerable.Repeat("\U0001F600", length))}\"\n" + (field == "scenario" ? "" : "scenario: test\n")
            + "rules: { conditions: [{ name: many, when: tickets.open > 3 }] }\n";
        Assert.Null(Register(Yaml(limit), "application/yaml"));
        Assert.EndsWith($"{field} has at most {limit} characters (this one has {limit + 1}).", Refused(Yaml(limit + 1), field), StringComparison.Ordinal);
    }

    [Fact]
    public void Register_MoreReadsThanTheLimit_IsRefused()
    {
        string Yaml(int count) => Head.Replace("reads: [tickets.open, profile.name]", $"reads: [tickets.open{string.Concat(Enumerable.Range(1, count - 1).Select(i => $", services.s{i}"))}]", StringComparison.Ordinal)
            + "rules: { conditions: [{ name: many, when: tickets.open > 3 }] }\n";
        Assert.Null(Register(Yaml(500), "application/yaml"));
        Assert.EndsWith($"reads has at most {500} entries (this one has 100000).", Refused(Yaml(100_000), "reads"), StringComparison.Ordinal);
    }
}
