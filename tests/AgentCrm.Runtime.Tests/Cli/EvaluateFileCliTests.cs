using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>`agentcrm agents evaluate ID@VERSION --cases-file F (--mapping M | --labels L)` and YAML limits through the CLI.</summary>
public sealed class EvaluateFileCliTests
{
    private const string Mapping = """
        name: cli-upload
        id: id
        label: { column: churned, positive: "1" }
        fields:
          - { column: tenure, field: tenure.months, type: number }
        """;

    private static async Task<(string Dir, string Csv, string Mapping)> FilesAsync()
    {
        var dir = TempDirectory.Create();
        var csv = Path.Combine(dir, "cases.csv");
        await File.WriteAllTextAsync(csv, "id,tenure,churned\n" + string.Concat(Enumerable.Range(0, 9).Select(i => $"k{i},{(i % 3 == 0 ? 2 : 50)},{(i % 3 == 0 ? 1 : 0)}\n")));
        var mapping = Path.Combine(dir, "mapping.yaml");
        await File.WriteAllTextAsync(mapping, Mapping);
        return (dir, csv, mapping);
    }

    private static void AssertOneLineFailure(CliResult result, string expected, int exitCode = 1)
    {
        Assert.True(result.ExitCode == exitCode, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.StartsWith("agentcrm: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_CasesFileWithMapping_ReportsOnTheStoredUpload()
    {
        var (dir, csv, mapping) = await FilesAsync();
        var evaluate = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases-file", csv, "--mapping", mapping, "--data", dir, "--json"]);
        // 9 cases, short of the 200 the gate needs: it fails (exit 1), the report printed and stored all the same.
        Assert.True(evaluate.ExitCode == 1 && evaluate.Stderr.Contains("did not pass its gate", StringComparison.Ordinal), evaluate.Stderr);
        var report = JsonDocument.Parse(evaluate.Stdout).RootElement;
        Assert.Equal(9, report.GetProperty("cases").GetInt32());
        var name = report.GetProperty("caseSet").GetString()!;
        Assert.Matches("^upload:[0-9a-f]{12}$", name);

        var list = await CliRunner.RunAsync(["cases", "list", "--data", dir, "--json"]);
        var stored = JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);
        Assert.Equal(9, stored.GetProperty("cases").GetInt32());

        // The upload can be removed; shipped sets and unknown names fail with one line.
        var remove = await CliRunner.RunAsync(["cases", "remove", name, "--data", dir]);
        Assert.True(remove.ExitCode == 0, remove.Stderr);
        var after = await CliRunner.RunAsync(["cases", "list", "--data", dir, "--json"]);
        Assert.DoesNotContain(JsonDocument.Parse(after.Stdout).RootElement.GetProperty("items").EnumerateArray(), s => s.GetProperty("name").GetString() == name);
        AssertOneLineFailure(await CliRunner.RunAsync(["cases", "remove", name, "--data", dir]), "No case set");
        AssertOneLineFailure(await CliRunner.RunAsync(["cases", "remove", "telco-churn", "--data", dir]), "ships with AgentCrm");
    }

    [Fact]
    public async Task Evaluate_Json_NamesTheReportId_AsTheApiDoes_AndTheServerServesIt()
    {
        var (dir, csv, mapping) = await FilesAsync();
        var evaluate = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases-file", csv, "--mapping", mapping, "--data", dir, "--json"]);
        // 9 cases, short of the 200 the gate needs: it fails (exit 1), the report printed and stored all the same.
        Assert.True(evaluate.ExitCode == 1 && evaluate.Stderr.Contains("did not pass its gate", StringComparison.Ordinal), evaluate.Stderr);
        var report = JsonDocument.Parse(evaluate.Stdout).RootElement;
        // The id comes first, as GET /v1/reports/{id} writes it; without it --json named no report to fetch again.
        var first = report.EnumerateObject().First();
        Assert.Equal("id", first.Name);
        var id = first.Value.GetString()!;

        await using var app = await AgentCrmApp.StartAsync(dir);
        var served = await app.GetJsonAsync($"/v1/reports/{id}");

        Assert.Equal(id, served.GetProperty("id").GetString());
        Assert.Equal(report.GetProperty("caseSet").GetString(), served.GetProperty("caseSet").GetString());
        Assert.Equal(report.GetProperty("createdAt").GetString(), served.GetProperty("createdAt").GetString());
    }

    [Fact]
    public async Task Evaluate_HtmlIntoAMissingDirectory_FailsNamingHtml_BeforeAnythingIsStored()
    {
        var (dir, csv, mapping) = await FilesAsync();
        var target = Path.Combine(dir, "no-such-dir", "report.html");

        // The replay ran and stored its report (and the upload) before the HTML failed to write, so the user got
        // "Could not find a part of the path" and exit 1 for an evaluation that was stored, without its id.
        AssertOneLineFailure(await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases-file", csv, "--mapping", mapping, "--data", dir, "--html", target]),
            "--html");
        AssertOneLineFailure(await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases-file", csv, "--mapping", mapping, "--data", dir, "--html", dir]),
            "--html");

        var list = await CliRunner.RunAsync(["cases", "list", "--data", dir, "--json"]);
        Assert.DoesNotContain(JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray(),
            s => s.GetProperty("name").GetString()!.StartsWith("upload:", StringComparison.Ordinal));
    }

    /// <summary>
    /// An HTML file that passes the checks before the replay but cannot be written after it — a full disk (as on a full
    /// tmpfs: "Failed to create … because the disk was full."), a read-only mount, here a symbolic link to itself — failed
    /// with the I/O message alone, exit 1, for an evaluation that was stored: the line now names --html and the report's id.
    /// </summary>
    [Fact]
    public async Task Evaluate_HtmlThatCannotBeWrittenAfterTheReplay_FailsNamingHtml_AndTheStoredReportsId()
    {
        var (dir, csv, mapping) = await FilesAsync();
        var target = Path.Combine(dir, "report.html");
        File.CreateSymbolicLink(target, target);

        var result = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases-file", csv, "--mapping", mapping, "--data", dir, "--html", target]);

        AssertOneLineFailure(result, $"--html: cannot write {target}");
        var id = System.Text.RegularExpressions.Regex.Match(result.Stderr, "report was stored as (rep_[0-9a-f]+)").Groups[1].Value;
        Assert.True(id.Length > 0, result.Stderr);
        await using var app = await AgentCrmApp.StartAsync(dir);
        Assert.Equal(id, (await app.GetJsonAsync($"/v1/reports/{id}")).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Evaluate_CaseOptionsMisused_IsAUsageError_ExitTwo_AndStoresNothing()
    {
        var (dir, csv, mapping) = await FilesAsync();
        AssertOneLineFailure(await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases", "telco-churn", "--cases-file", csv, "--mapping", mapping, "--data", dir]),
            "not both", exitCode: 2);
        AssertOneLineFailure(await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases-file", csv, "--data", dir]),
            "--mapping", exitCode: 2);
        AssertOneLineFailure(await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--data", dir]),
            "--cases-file", exitCode: 2);
        // A version that does not exist: refused before the case file is stored.
        AssertOneLineFailure(await CliRunner.RunAsync(["agents", "evaluate", "nosuch@9.9.9", "--cases-file", csv, "--mapping", mapping, "--data", dir]),
            "nosuch");
        var list = await CliRunner.RunAsync(["cases", "list", "--data", dir, "--json"]);
        Assert.DoesNotContain(JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray(),
            s => s.GetProperty("name").GetString()!.StartsWith("upload:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task YamlPastTheLimits_ThroughTheCli_FailWithTheLine()
    {
        var (dir, csv, _) = await FilesAsync();
        var deep = Path.Combine(dir, "deep.yaml");
        await File.WriteAllTextAsync(deep, "name: deep\nfields: " + new string('[', 100_000) + "\n");
        AssertOneLineFailure(await CliRunner.RunAsync(["cases", "add", "deep-cases", csv, "--mapping", deep, "--data", dir]), "deep.yaml line 2");

        var bomb = Path.Combine(dir, "bomb.yaml");
        await File.WriteAllTextAsync(bomb, "id: bomb\nversion: 1.0.0\na: &a [lol, lol, lol]\nb: [*a, *a, *a]\n");
        AssertOneLineFailure(await CliRunner.RunAsync(["agents", "register", bomb, "--data", dir]), "line 3");
    }

    [Fact]
    public async Task AFileQuotedInAFailure_ItsControlCharactersAreNotSentToTheTerminal()
    {
        var (dir, _, _) = await FilesAsync();
        var events = Path.Combine(dir, "events.ndjson");
        await File.WriteAllTextAsync(events, """{"id":"e1","customerId":"acme","type":"login","occurredAt":"2026-01-01T00:00:00Z"}""" + "\n");
        var labels = Path.Combine(dir, "labels.csv");
        await File.WriteAllTextAsync(labels, "customerId,cutoff,label\nacme,2026-01-06T00:00:00Z,\u001b]0;pwned\u0007\n");

        var result = await CliRunner.RunAsync(["cases", "add", "escaped", events, "--labels", labels, "--data", dir]);

        AssertOneLineFailure(result, "\uFFFD]0;pwned\uFFFD");
        Assert.DoesNotContain(result.Stderr.TrimEnd(), char.IsControl);
    }
}
