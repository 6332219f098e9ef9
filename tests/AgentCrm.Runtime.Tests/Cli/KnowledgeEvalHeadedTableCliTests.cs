namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// A query table with its own header whose rows name no document of the store is told as that: its first row was read as
/// another table's header ("line 2 reads as a header naming kickoff, nosuch, Kickoff", qa28).
/// </summary>
public sealed class KnowledgeEvalHeadedTableCliTests
{
    [Fact]
    public async Task Eval_HeaderThenRowsNamingNoDocument_SaysNoRowNamesADocument()
    {
        var dir = TempDirectory.Create();
        var file = Path.Combine(dir, "queries.csv");
        await File.WriteAllTextAsync(file, "query,document,expected_section\nkickoff,nosuch,Kickoff\n");

        var result = await CliRunner.RunAsync(["knowledge", "eval", file, "--data", dir]);

        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stdout} {result.Stderr}");
        Assert.StartsWith("agentcrm: queries.csv: no row names a document of the knowledge store (1 row); is this a query table (query,document,expected_section)?",
            result.Stderr.Trim(), StringComparison.Ordinal);
    }
}
