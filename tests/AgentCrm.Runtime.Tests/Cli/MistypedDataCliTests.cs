namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>A verb refused in a data directory it had just made (a mistyped --data) leaves nothing there, and says where it looked.</summary>
public sealed class MistypedDataCliTests
{
    [Fact]
    public async Task Promote_InAMistypedDirectory_IsRefusedInOneLineNamingIt_AndLeavesNoDirectoryBehind()
    {
        var parent = TempDirectory.Create();
        var typo = Path.Combine(parent, "dta", "prod");

        var promote = await CliRunner.RunAsync(["agents", "promote", "renewal-risk@1.1.0", "--data", typo]);
        Assert.Equal(1, promote.ExitCode);
        Assert.Equal($"agentcrm: Agent 'renewal-risk' has no version '1.1.0'. ({typo} held no agentcrm.db: is --data right? Nothing was left there.)\n", promote.Stderr);
        Assert.False(Directory.Exists(Path.Combine(parent, "dta")), "the folders the refused verb made are still there");
    }

    [Fact]
    public async Task Refused_InAnExistingFolderWithoutADatabase_RemovesOnlyWhatItAdded()
    {
        var dir = TempDirectory.Create();
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");

        var remove = await CliRunner.RunAsync(["cases", "remove", "no-such-set", "--data", dir]);
        Assert.Equal(1, remove.ExitCode);
        Assert.Single(remove.Stderr.Trim('\n').Split('\n'));
        Assert.Contains("held no agentcrm.db", remove.Stderr);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));

        // The same refusal where the data is: one line, as before, and the directory is kept.
        Assert.Equal(0, (await CliRunner.RunAsync(["keys", "create", "--role", "ops", "--name", "ops-1", "--data", dir])).ExitCode);
        var again = await CliRunner.RunAsync(["cases", "remove", "no-such-set", "--data", dir]);
        Assert.Equal((1, "agentcrm: No case set 'no-such-set' is registered (agentcrm cases list).\n"), (again.ExitCode, again.Stderr));
        Assert.True(File.Exists(Path.Combine(dir, "agentcrm.db")));
    }
}
