using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>`agentcrm knowledge eval`: a file that is not a query table is an error naming where, never "0 queries".</summary>
public sealed class KnowledgeEvalCliTests
{
    [Theory]
    [InlineData("query,document\nrefund window,refunds\n", "line 1: the header has no 'expected_section' column")]
    [InlineData("query,document,expected_section\nrefund window,refunds\n", "line 2: column 3 (expected_section) is missing")]
    [InlineData("query,document,expected_section\n\"refund window,refunds,Window\n", "line 2, column 1: the quote opened here is never closed")]
    [InlineData("query,document,expected_section\n", "no queries to evaluate")]
    [InlineData("", "no queries to evaluate")]
    [InlineData("query,document,expected_section\nrefund window,,Window\n", "line 2: column 2 (document) is empty")]
    [InlineData("document,expected_section,label\nrefunds,Window,1\n", "line 1: the header has no 'query' column")]
    // Another table read as queries: every row a miss by construction.
    [InlineData("customerId,cutoff,label\ncase-000,2026-11-01T00:00:00Z,1\ncase-001,2026-11-01T00:00:00Z,0\n",
        "line 1 reads as a header naming customerId, cutoff, label, not query,document,expected_section")]
    [InlineData("case-000,2026-11-01T00:00:00Z,1\ncase-001,2026-11-01T00:00:00Z,0\n",
        "no row names a document of the knowledge store (2 rows); is this a query table (query,document,expected_section)?")]
    public async Task Eval_FileThatIsNotAQueryTable_ExitsOne_WithOneLineNamingWhere(string csv, string expected)
    {
        var dir = TempDirectory.Create();
        var file = Path.Combine(dir, "queries.csv");
        await File.WriteAllTextAsync(file, csv);

        var result = await CliRunner.RunAsync(["knowledge", "eval", file, "--data", dir]);

        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stdout} {result.Stderr}");
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Contains("queries.csv: " + expected, result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    /// <summary>A real query file on an empty store was asked "is this a query table?" (rev27): the store is what is wrong.</summary>
    [Fact]
    public async Task Eval_OnAnEmptyStore_SaysTheStoreHoldsNoDocuments()
    {
        var dir = TempDirectory.Create();
        // Every document deleted (the bundled ones stay deleted): the store is empty.
        await using (var app = await AgentCrmApp.StartAsync(dir, new Dictionary<string, string?> { ["Knowledge:IngestBundled"] = "true" }))
        {
            foreach (var document in (await app.GetJsonAsync("/v1/knowledge/documents?limit=500")).GetProperty("items").EnumerateArray())
                using (var deleted = await app.Client.DeleteAsync($"/v1/knowledge/documents/{document.GetProperty("id").GetString()}"))
                    Assert.True(deleted.IsSuccessStatusCode);
        }
        var file = Path.Combine(dir, "queries.csv");
        await File.WriteAllTextAsync(file, "query,document,expected_section\nkick-off call goals,onboarding-playbook,Kick-off call\n");

        var result = await CliRunner.RunAsync(["knowledge", "eval", file, "--data", dir]);

        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stdout} {result.Stderr}");
        Assert.Equal("agentcrm: queries.csv: the knowledge store holds no documents, so every query would be a miss: ingest the documents it names first (agentcrm knowledge ingest PATH).", result.Stderr.Trim());
    }

    [Fact]
    public async Task Eval_DocumentIdIsMatchedExactly_AndAnIdNotInTheStoreIsReported()
    {
        var dir = TempDirectory.Create();
        var docs = Directory.CreateDirectory(Path.Combine(dir, "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "onboarding-playbook.md"), "# Onboarding\n\n## Kick-off call\n\nThe kick-off call names the customer's goals and the first milestone.\n");
        Assert.Equal(0, (await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir])).ExitCode);
        var file = Path.Combine(dir, "queries.csv");
        await File.WriteAllTextAsync(file, "query,document,expected_section\nkick-off call goals,onboarding,Kick-off call\nkick-off call milestone,onboarding-playbook,Kick-off call\n");

        var result = await CliRunner.RunAsync(["knowledge", "eval", file, "--data", dir, "--json"]);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var report = JsonDocument.Parse(result.Stdout).RootElement;
        var ranks = report.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("rank")).ToList();
        Assert.Equal(JsonValueKind.Null, ranks[0].ValueKind);
        Assert.Equal(1, ranks[1].GetInt32());
        Assert.Equal(0.5, report.GetProperty("recallAt5").GetDouble());
        Assert.Contains("agentcrm: warning: queries.csv: document 'onboarding' (line 2, 1 query) is not in the knowledge store", result.Stderr, StringComparison.Ordinal);
        Assert.Single(report.GetProperty("warnings").EnumerateArray());
    }
}
