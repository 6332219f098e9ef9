using AgentCrm.Runtime.Tests.Cli;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// Audit:BackgroundVerifyDelay was read only by the background verify a minute after the start, so a bad one crashed the
/// running server with two stack traces (exit 0), and a misspelt Audit key was ignored (qa fix31s): both refused at start now.
/// </summary>
public sealed class AuditSettingsTests
{
    private static async Task<CliResult> ServeAsync(Dictionary<string, string> environment)
    {
        using var server = ServeProcess.Start(TempDirectory.Create(), new Dictionary<string, string>(environment) { ["Knowledge__IngestBundled"] = "false" });
        var code = await server.WaitForExitAsync();
        return new CliResult(code, server.Stdout, server.Stderr);
    }

    [Theory]
    [InlineData("Audit__BackgroundVerifyDelay", "abc", "Audit:BackgroundVerifyDelay: 'abc' is not valid; it takes ")]
    [InlineData("Audit__BackgroundVerifyDelay", "-00:00:01", "Audit:BackgroundVerifyDelay must be between 00:00:00 and 1.00:00:00 (got '-00:00:01').")]
    [InlineData("Audit__BackgroundVerifyDelay", "99.00:00:00", "Audit:BackgroundVerifyDelay: '99.00:00:00' is too long; it takes at most 1.00:00:00.")]
    [InlineData("Audit__BackgroundVerifyDelai", "00:00:10", "Audit:BackgroundVerifyDelai: not a setting; did you mean Audit:BackgroundVerifyDelay?")]
    public async Task ABadAuditSetting_StopsTheStart_InOneLineNamingIt(string variable, string value, string expected)
    {
        var line = DataDirectoryStartTests.OneLineFailure(await ServeAsync(new() { [variable] = value }));
        Assert.StartsWith("agentcrm: invalid configuration: " + expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMisspeltAuditKey_IsRefusedByAVerbToo()
    {
        var result = await CliRunner.RunAsync(["keys", "list", "--data", TempDirectory.Create()],
            new Dictionary<string, string> { ["Audit__BackgroundVerifyDelai"] = "00:00:10" });
        Assert.Equal("agentcrm: invalid configuration: Audit:BackgroundVerifyDelai: not a setting; did you mean Audit:BackgroundVerifyDelay?",
            DataDirectoryStartTests.OneLineFailure(result));
    }
}
