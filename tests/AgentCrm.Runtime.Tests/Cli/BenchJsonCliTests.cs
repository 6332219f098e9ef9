using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// Every `bench --json` names its fields in camelCase, as the HTTP API and every other --json do: `--knowledge`'s scan
/// (`"Vectors"`, `"P50Milliseconds"`) and `--kinds`' `"Name"` were PascalCase (qa28).
/// </summary>
public sealed class BenchJsonCliTests
{
    [Theory]
    [InlineData("--knowledge", "scan.p50Milliseconds")]
    [InlineData("--kinds", "[0].name")]
    [InlineData("--replay", "replayMs")]
    [InlineData("", "eventsPerSecond")]
    public async Task Bench_Json_NamesEveryFieldInCamelCase(string mode, string expected)
    {
        string[] args = mode.Length > 0 ? ["bench", mode, "--json"] : ["bench", "--events", "1000", "--customers", "10", "--warmup", "0", "--data", TempDirectory.Create(), "--json"];

        var result = await CliRunner.RunAsync(args, timeLimit: TimeSpan.FromMinutes(4));

        Assert.True(result.ExitCode == 0, result.Stderr);
        var names = new List<string>();
        Collect(JsonDocument.Parse(result.Stdout).RootElement, "", names);
        Assert.Contains(expected, names);
        Assert.DoesNotContain(names, n => n.Split('.').Select(p => p.TrimStart('[', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ']')).Any(p => p.Length > 0 && !char.IsLower(p[0])));
    }

    /// <summary>Every property's path (<c>scan.vectors</c>, <c>[0].name</c>).</summary>
    private static void Collect(JsonElement element, string path, List<string> names)
    {
        if (element.ValueKind == JsonValueKind.Object)
            foreach (var property in element.EnumerateObject())
            {
                var name = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                names.Add(name);
                Collect(property.Value, name, names);
            }
        else if (element.ValueKind == JsonValueKind.Array)
            foreach (var (item, i) in element.EnumerateArray().Select((item, i) => (item, i)))
                Collect(item, $"{path}[{i}]", names);
    }
}
