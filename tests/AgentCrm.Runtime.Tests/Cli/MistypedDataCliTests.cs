namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>A verb refused in a data directory that had no database (a mistyped --data) says where it looked, in its one line.</summary>
public sealed class MistypedDataCliTests
{
    [Fact]
    public async Task Promote_InAMistypedDirectory_IsRefusedInOneLineNamingIt()
    {
        var typo = Path.Combine(TempDirectory.Create(), "dta", "prod");

        var promote = await CliRunner.RunAsync(["agents", "promote", "renewal-risk@1.1.0", "--data", typo]);
        Assert.Equal(1, promote.ExitCode);
        Assert.Equal($"agentcrm: Agent 'renewal-risk' has no version '1.1.0'. (there was no agentcrm.db in {typo}: is --data right? A new data directory was started there.)\n", promote.Stderr);
    }

    [Fact]
    public async Task AVerbsOwnFailure_InAMistypedDirectory_NamesItToo()
    {
        var typo = Path.Combine(TempDirectory.Create(), "dta");
        var remove = await CliRunner.RunAsync(["webhooks", "remove", "wh_nope", "--data", typo]);
        Assert.Equal(1, remove.ExitCode);
        Assert.Equal($"agentcrm: no webhook 'wh_nope' (webhooks list shows them) (there was no agentcrm.db in {typo}: is --data right? A new data directory was started there.)\n", remove.Stderr);
    }

    [Fact]
    public async Task Refused_WhereTheDataIs_SaysNothingOfANewDirectory()
    {
        var dir = TempDirectory.Create();
        var first = await CliRunner.RunAsync(["cases", "remove", "no-such-set", "--data", dir]);
        Assert.Equal(1, first.ExitCode);
        Assert.Single(first.Stderr.Trim('\n').Split('\n'));
        Assert.Contains($"there was no agentcrm.db in {dir}", first.Stderr);

        var again = await CliRunner.RunAsync(["cases", "remove", "no-such-set", "--data", dir]);
        Assert.Equal((1, "agentcrm: No case set 'no-such-set' is registered (agentcrm cases list).\n"), (again.ExitCode, again.Stderr));
    }
}
