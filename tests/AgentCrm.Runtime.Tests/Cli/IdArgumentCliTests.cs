namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// An ID or NAME argument no agent, key or subscription can have (empty, spaces, a slash, capitals) is a usage error naming the
/// argument and its rule, with nothing opened nor created, as `cases remove` has it (fix31c: `keys revoke ''` created a data directory).
/// </summary>
public sealed class IdArgumentCliTests
{
    [Theory]
    [InlineData("NAME", "keys", "revoke", "a b/c")]
    [InlineData("NAME", "keys", "revoke", "")]
    [InlineData("ID", "agents", "rollback", "Bad Id")]
    [InlineData("ID", "agents", "unregister", "")]
    [InlineData("ID@VERSION", "agents", "shadow", "BAD@1.0.0")]
    [InlineData("ID@VERSION", "agents", "promote", "a b@1.0.0")]
    [InlineData("ID", "webhooks", "enable", "")]
    [InlineData("ID", "webhooks", "remove", "")]
    [InlineData("ID", "webhooks", "remove", "wh_../x")]
    [InlineData("ID", "webhooks", "rotate-secret", "WH_1")]
    public async Task AnArgumentOfAFormNothingCanHave_IsAUsageErrorNamingIt_AndNoDataDirectoryIsCreated(string argument, string verb, string command, string value)
    {
        var dir = Path.Combine(TempDirectory.Create(), "data");

        var result = await CliRunner.RunAsync([verb, command, value, "--data", dir]);

        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        var line = Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.StartsWith($"agentcrm: {argument}: '{value}' is not valid; ", line, StringComparison.Ordinal);
        Assert.Contains($"(see agentcrm {verb} {command} --help)", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir), "a data directory was created");
    }

    [Fact]
    public async Task AnArgumentOfTheRightFormNamingNothing_StillExitsOne()
    {
        var dir = TempDirectory.Create();

        var key = await CliRunner.RunAsync(["keys", "revoke", "nobody", "--data", dir]);
        var agent = await CliRunner.RunAsync(["agents", "rollback", "no-such-agent", "--data", dir]);
        var hook = await CliRunner.RunAsync(["webhooks", "enable", "wh_0123456789abcdef0123", "--data", dir]);

        Assert.Equal((1, 1, 1), (key.ExitCode, agent.ExitCode, hook.ExitCode));
        Assert.Contains("no webhook 'wh_0123456789abcdef0123'", hook.Stderr, StringComparison.Ordinal);
    }
}
