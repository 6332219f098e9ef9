namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// `agents register` holds a manifest file to Agents:MaxManifestBytes, as POST /v1/agents does (fix31c: a 200 MB YAML registered
/// from the CLI at 943 MB of memory).
/// </summary>
public sealed class RegisterSizeLimitCliTests
{
    [Fact]
    public async Task Register_AManifestOverTheSetting_FailsNamingTheFileAndTheSetting_RegisteringNothing()
    {
        var dir = TempDirectory.Create();
        var manifest = await CliTests.NpsWatchManifestAsync(dir);
        // A valid manifest made larger than 2 KiB by a comment.
        await File.AppendAllTextAsync(manifest, "\n# " + new string('x', 3_000) + "\n");
        var small = new Dictionary<string, string> { ["Agents__MaxManifestBytes"] = "2048" };
        Assert.Equal(0, (await CliRunner.RunAsync(["agents", "list", "--data", dir])).ExitCode);

        var refused = await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir], small);
        var list = await CliRunner.RunAsync(["agents", "list", "--data", dir]);
        var accepted = await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir]);

        Assert.Equal((1, $"agentcrm: {manifest}: a manifest is at most 2,048 bytes (the setting Agents:MaxManifestBytes); this file is larger"), (refused.ExitCode, refused.Stderr.Trim()));
        Assert.DoesNotContain("nps-watch", list.Stdout, StringComparison.Ordinal);
        Assert.True(accepted.ExitCode == 0, accepted.Stderr);
    }

    [Fact]
    public async Task Register_AManifestOverTheDefault8MiB_IsRefused()
    {
        var dir = TempDirectory.Create();
        var manifest = await CliTests.NpsWatchManifestAsync(dir);
        await using (var file = new StreamWriter(manifest, append: true))
            for (var i = 0; i < 9 * 1024; i++)
                await file.WriteAsync("# " + new string('x', 1_021) + "\n");
        Assert.Equal(0, (await CliRunner.RunAsync(["agents", "list", "--data", dir])).ExitCode);

        var refused = await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir]);

        Assert.Equal((1, $"agentcrm: {manifest}: a manifest is at most 8,388,608 bytes (the setting Agents:MaxManifestBytes); this file is larger"), (refused.ExitCode, refused.Stderr.Trim()));
    }
}
