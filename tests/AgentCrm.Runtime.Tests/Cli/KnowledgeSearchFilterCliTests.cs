using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>`agentcrm knowledge search` filters as the API does: --tags, --documentId, --scenario, under the same rules.</summary>
public sealed class KnowledgeSearchFilterCliTests
{
    [Theory]
    [InlineData("--scenario", "BAD!!", "scenario 'BAD!!' is invalid")]
    [InlineData("--tags", "no spaces", "tag 'no spaces' is invalid")]
    [InlineData("--documentId", "FAQ.md!", "Document id 'FAQ.md!' is invalid")]
    public async Task Search_FilterNoDocumentCouldCarry_IsAUsageError_LikeTheApi(string option, string value, string expected)
    {
        var result = await CliRunner.RunAsync(["knowledge", "search", "refund policy", option, value, "--data", TempDirectory.Create()]);

        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Search_Filters_KeepOnlyTheDocumentsTheyName()
    {
        var dir = TempDirectory.Create();
        var docs = Directory.CreateDirectory(Path.Combine(dir, "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "refunds.md"), "# Refunds\n\n## Window\n\nRefunds are granted within 30 days of purchase.\n");
        await File.WriteAllTextAsync(Path.Combine(docs, "returns.md"), "# Returns\n\n## Window\n\nReturns and refunds are accepted within 14 days.\n");
        Assert.Equal(0, (await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir])).ExitCode);

        async Task<List<string?>> DocumentsAsync(params string[] filter)
        {
            var search = await CliRunner.RunAsync(["knowledge", "search", "refund window days", .. filter, "--data", dir, "--json"]);
            Assert.True(search.ExitCode == 0, search.Stderr);
            return [.. JsonDocument.Parse(search.Stdout).RootElement.GetProperty("items").EnumerateArray().Select(h => h.GetProperty("documentId").GetString()).Distinct()];
        }

        // The first knowledge verb on a new data directory ingests the bundled documents too.
        var all = await DocumentsAsync();
        Assert.Contains("refunds", all);
        Assert.Contains("returns", all);
        Assert.Equal(["returns"], await DocumentsAsync("--documentId", "returns"));
        // Documents ingested by the CLI, and the bundled ones, have no scenario and no tags.
        Assert.Empty(await DocumentsAsync("--scenario", "renewal-risk"));
        Assert.Empty(await DocumentsAsync("--tags", "billing"));
    }

    [Fact]
    public async Task Search_NoHits_SaysSoOnStderr_NamingADocumentIdNoDocumentHas_WithTheClosestOne()
    {
        var dir = TempDirectory.Create();

        // renewal-playbok: a typo of the bundled renewal-playbook. Before, both printed nothing at all, exit 0 (qa45d F2).
        var typo = await CliRunner.RunAsync(["knowledge", "search", "failed payment", "--documentId", "renewal-playbok", "--data", dir]);
        var nothing = await CliRunner.RunAsync(["knowledge", "search", "zzqqxx", "--data", dir]);
        var json = await CliRunner.RunAsync(["knowledge", "search", "zzqqxx", "--data", dir, "--json"]);

        // The first verb on the new data directory also says it started one.
        Assert.Equal((0, ""), (typo.ExitCode, typo.Stdout));
        Assert.Contains("No hits for \"failed payment\" (--documentId renewal-playbok: no such document; did you mean renewal-playbook?).", typo.Stderr.Trim().Split('\n'));
        Assert.Equal((0, "", "No hits for \"zzqqxx\"."), (nothing.ExitCode, nothing.Stdout, nothing.Stderr.Trim()));
        // --json stays one document on stdout, with nothing on stderr.
        Assert.Equal((0, ""), (json.ExitCode, json.Stderr.Trim()));
        Assert.Empty(JsonDocument.Parse(json.Stdout).RootElement.GetProperty("items").EnumerateArray());
    }
}
