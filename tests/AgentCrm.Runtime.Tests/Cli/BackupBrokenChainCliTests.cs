using System.Text.Json;
using AgentCrm.Runtime.Tests.Audit;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// `agentcrm backup` of a data directory whose audit log fails verify (qa29d): the copy failed its check and the backup was
/// refused, every time, though the copy was faithful. A copy that fails as its source does is kept, and the failure reported.
/// </summary>
public sealed class BackupBrokenChainCliTests
{
    [Theory]
    [InlineData("DELETE FROM meta WHERE key = 'audit.head'", "the audit chain is broken at record ", ": the chain's head is not recorded")]
    [InlineData("UPDATE api_keys SET role = 'admin' WHERE name = 'carl'", "the audit log does not match the database: key carl has role admin but record ", " audited role csm")]
    // The whole log and its head deleted: an empty chain holds, but the live keys have no record (qa41c #1: backup and verify said intact).
    [InlineData("DELETE FROM audit; DELETE FROM meta WHERE key = 'audit.head'", "the audit log does not match the database: key rita is live but has no audit record", "1 more row differs")]
    public async Task Backup_OfADirectoryWhoseAuditLogFailsVerify_IsKeptAndSaysSo(string tampering, string problem, string reason)
    {
        var dir = TempDirectory.Create();
        foreach (var (role, name) in new[] { ("reviewer", "rita"), ("csm", "carl") })
            Assert.Equal(0, (await CliRunner.RunAsync(["keys", "create", "--role", role, "--name", name, "--data", dir])).ExitCode);
        AuditTests.Tamper(dir, tampering);

        var folder = Path.Combine(TempDirectory.Create(), "backup");
        var backup = await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder, "--json"]);
        Assert.True(backup.ExitCode == 0, backup.Stderr);
        Assert.Contains($"the backup is complete, but the audit log of {Path.Combine(dir, "agentcrm.db")} fails its check: {problem}", backup.Stderr, StringComparison.Ordinal);
        Assert.Contains(reason, backup.Stderr, StringComparison.Ordinal);
        var file = JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("files")[0];
        Assert.StartsWith(problem, file.GetProperty("sourceAuditBroken").GetString(), StringComparison.Ordinal);
        Assert.Contains(reason, file.GetProperty("sourceAuditBroken").GetString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder, "agentcrm.db")));

        // The copy fails verify as the source does: it is the evidence, as it was.
        var ofCopy = await CliRunner.RunAsync(["audit", "verify", "--data", folder]);
        var ofSource = await CliRunner.RunAsync(["audit", "verify", "--data", dir]);
        Assert.Equal((1, 1), (ofCopy.ExitCode, ofSource.ExitCode));
        Assert.Equal(ofSource.Stderr, ofCopy.Stderr);
    }
}
