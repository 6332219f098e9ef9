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

    [Fact]
    public async Task CasesRemove_Json_PrintsJson()
    {
        var dir = TempDirectory.Create();
        var csv = Path.Combine(dir, "cases.csv");
        await File.WriteAllTextAsync(csv, "id,tenure,churned\n" + string.Concat(Enumerable.Range(0, 9).Select(i => $"k{i},{(i % 3 == 0 ? 2 : 50)},{(i % 3 == 0 ? 1 : 0)}\n")));
        var mapping = Path.Combine(dir, "mapping.yaml");
        await File.WriteAllTextAsync(mapping, """
            name: cli-remove
            id: id
            label: { column: churned, positive: "1" }
            fields:
              - { column: tenure, field: tenure.months, type: number }
            """);
        Assert.Equal(0, (await CliRunner.RunAsync(["cases", "add", "to-remove", csv, "--mapping", mapping, "--data", dir])).ExitCode);

        var remove = await CliRunner.RunAsync(["cases", "remove", "to-remove", "--data", dir, "--json"]);

        Assert.True(remove.ExitCode == 0, remove.Stderr);
        Assert.Equal("to-remove", JsonDocument.Parse(remove.Stdout).RootElement.GetProperty("removed").GetString());
    }
}
