using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>The CLI contract (API.md): --json is JSON with the API's names; every usage error is one line naming what is wrong and what it takes, exit 2.</summary>
public sealed class ContractCliTests
{
    [Fact]
    public async Task KnowledgeIngest_Json_NamesTheStatus_AsTheApiDoes()
    {
        var dir = TempDirectory.Create();
        var docs = Directory.CreateDirectory(Path.Combine(dir, "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "zebra.md"), "# Zebra care\n\nZebras need quarterly hoof trimming.\n");

        var first = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir, "--json"]);
        var again = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir, "--json"]);

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Equal("created", JsonDocument.Parse(first.Stdout).RootElement.GetProperty("items")[0].GetProperty("status").GetString());
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal("unchanged", JsonDocument.Parse(again.Stdout).RootElement.GetProperty("items")[0].GetProperty("status").GetString());
    }
}
