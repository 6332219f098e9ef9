using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>`agentcrm agents shadow|promote|rollback` refuse what the API refuses, on the data directory, without changing it.</summary>
public sealed class LifecycleCliTests
{
    private static async Task<Dictionary<string, (string State, int Canary)>> StatesAsync(string dir)
    {
        var list = await CliRunner.RunAsync(["agents", "list", "--data", dir, "--json"]);
        Assert.True(list.ExitCode == 0, list.Stderr);
        return JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray().ToDictionary(
            v => v.GetProperty("id").GetString() + "@" + v.GetProperty("version").GetString(),
            v => (v.GetProperty("state").GetString()!, v.GetProperty("canaryPercent").GetInt32()));
    }

    [Fact]
    public async Task Shadow_OnTheActiveVersion_ExitsOneWithOneLine_AndTheVersionStaysActive()
    {
        var dir = TempDirectory.Create();
        var before = await StatesAsync(dir);
        Assert.Equal(("active", 100), before["renewal-risk@1.0.0"]);

        var shadow = await CliRunner.RunAsync(["agents", "shadow", "renewal-risk@1.0.0", "--data", dir]);
        Assert.Equal(1, shadow.ExitCode);
        Assert.Single(shadow.Stderr.Trim().Split('\n'));
        Assert.StartsWith("agentcrm: renewal-risk@1.0.0 is active", shadow.Stderr, StringComparison.Ordinal);
        Assert.Empty(shadow.Stdout);
        Assert.Equal(before, await StatesAsync(dir));
    }
}
