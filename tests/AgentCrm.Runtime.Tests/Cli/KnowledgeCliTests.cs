using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>`agentcrm knowledge …` keeps the API's rules: the same checks, one line on stderr, nothing half-done.</summary>
public sealed class KnowledgeCliTests
{
    private static void AssertOneLine(CliResult result, int exitCode, string expected)
    {
        Assert.True(result.ExitCode == exitCode, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.StartsWith("agentcrm: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("", null, "QUERY is required")]
    [InlineData("   ", null, "QUERY is required")]
    [InlineData("refund policy", "0", "--k must be a whole number between 1 and 50")]
    [InlineData("refund policy", "51", "--k must be a whole number between 1 and 50")]
    [InlineData("refund policy", "abc", "--k must be a whole number between 1 and 50")]
    public async Task Search_WithoutAQueryOrWithKOutOfRange_IsAUsageError_LikeTheApi(string query, string? k, string expected)
    {
        string[] args = k is null ? ["knowledge", "search", query] : ["knowledge", "search", query, "--k", k];
        AssertOneLine(await CliRunner.RunAsync([.. args, "--data", TempDirectory.Create()]), 2, expected);
    }

    [Fact]
    public async Task Ingest_FolderWithAnEmptyFile_ExitsOne_StoresNone_ThenTheGoodFolderNamesWhatItSkipped()
    {
        var dir = TempDirectory.Create();
        var docs = Directory.CreateDirectory(Path.Combine(dir, "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "a.md"), "# Zebra care\n\nZebras need quarterly hoof trimming.\n");
        await File.WriteAllTextAsync(Path.Combine(docs, "c.txt"), "");
        await File.WriteAllTextAsync(Path.Combine(docs, "d.csv"), "id,value\n1,2\n");

        var refused = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir]);

        AssertOneLine(refused, 1, "c.txt");
        var search = await CliRunner.RunAsync(["knowledge", "search", "zebra hoof trimming", "--k", "50", "--data", dir, "--json"]);
        Assert.DoesNotContain(JsonDocument.Parse(search.Stdout).RootElement.GetProperty("items").EnumerateArray(), h => h.GetProperty("documentId").GetString() == "a");

        File.Delete(Path.Combine(docs, "c.txt"));
        var ingested = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir, "--json"]);
        Assert.True(ingested.ExitCode == 0, ingested.Stderr);
        var output = JsonDocument.Parse(ingested.Stdout).RootElement;
        Assert.Equal(["a"], output.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("documentId").GetString()));
        Assert.Equal([Path.Combine(docs, "d.csv")], output.GetProperty("skipped").EnumerateArray().Select(s => s.GetProperty("path").GetString()));
        var human = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir]);
        Assert.Contains($"skipped {Path.Combine(docs, "d.csv")}: unsupported extension", human.Stdout, StringComparison.Ordinal);
        // One chunk is "1 chunk", not "1 chunks".
        Assert.Equal(1, output.GetProperty("items")[0].GetProperty("chunks").GetInt32());
        Assert.Contains(" 1 chunk ", human.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("1 chunks", human.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_KInRange_ReturnsAtMostKHits()
    {
        var dir = TempDirectory.Create();
        var docs = Directory.CreateDirectory(Path.Combine(dir, "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "refunds.md"), "# Refunds\n\n## Window\n\nRefunds are granted within 30 days of purchase.\n\n## Method\n\nRefunds go back to the original card.\n");
        Assert.Equal(0, (await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir])).ExitCode);

        var search = await CliRunner.RunAsync(["knowledge", "search", "refund window", "--k", "1", "--data", dir, "--json"]);

        Assert.True(search.ExitCode == 0, search.Stderr);
        Assert.Equal(1, JsonDocument.Parse(search.Stdout).RootElement.GetProperty("items").GetArrayLength());
    }

    /// <summary>
    /// qa44b F1, F3: the CLI refused a folder holding two names that share their first 64 characters (one id), and a name in
    /// another script (no id), which an upload took as one document, or as another document each time. Both now give each
    /// name its own id, the same one, so an upload of an edited file replaces what the CLI ingested.
    /// </summary>
    [Fact]
    public async Task Ingest_LongAndNonLatinFileNames_EachGetsItsOwnId_TheOneAnUploadOfTheFileReplaces()
    {
        var dir = TempDirectory.Create();
        var docs = Directory.CreateDirectory(Path.Combine(dir, "docs")).FullName;
        string[] names = ["2026-01-15-customer-success-renewal-escalation-procedure-for-region-apac.md",
            "2026-01-15-customer-success-renewal-escalation-procedure-for-region-emea.md", "Регламент.md"];
        foreach (var name in names)
            await File.WriteAllTextAsync(Path.Combine(docs, name), $"# Escalation\n\nThe walrus rule of {name}: call within two hours.\n");

        var ingested = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir, "--json"]);

        Assert.True(ingested.ExitCode == 0, ingested.Stderr);
        var ids = JsonDocument.Parse(ingested.Stdout).RootElement.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("documentId").GetString()).ToList();
        Assert.Equal(3, ids.Distinct().Count());
        await using var app = await AgentCrmApp.StartAsync(dir);
        var stored = (await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").GetArrayLength();
        var replaced = new List<string?>();
        foreach (var name in names)
        {
            using var form = new MultipartFormDataContent { { new StringContent($"# Escalation\n\nThe walrus rule of {name}: call within one hour.\n", System.Text.Encoding.UTF8, "text/markdown"), "file", name } };
            using var uploaded = await app.Client.PostAsync("/v1/knowledge/documents", form);
            var answer = JsonDocument.Parse(await uploaded.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("replaced", answer.GetProperty("status").GetString());
            replaced.Add(answer.GetProperty("documentId").GetString());
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), replaced.Order(StringComparer.Ordinal));
        Assert.Equal(stored, (await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").GetArrayLength());
    }
}
