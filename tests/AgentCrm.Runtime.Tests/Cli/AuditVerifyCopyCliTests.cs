using System.Security.Cryptography;
using AgentCrm.Runtime.Tests.Server;
using AgentCrm.Server;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// `agentcrm audit verify --data` on a copy checks every file a start on it would use, as the start does: the README's "check
/// every copy with `agentcrm audit verify`" holds for a copy whose knowledge files or pages are what a restore fails on (qa44a).
/// </summary>
public sealed class AuditVerifyCopyCliTests
{
    /// <summary>A whole backup (`agentcrm backup`) of a directory with one knowledge document: agentcrm.db and both knowledge files.</summary>
    private static async Task<string> BackupWithADocumentAsync()
    {
        var dir = await BackupCliTests.DirectoryWithADocumentAsync();
        var folder = Path.Combine(TempDirectory.Create(), "backup");
        var backup = await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder]);
        Assert.True(backup.ExitCode == 0, backup.Stderr);
        return folder;
    }

    private static Dictionary<string, string> Hashes(string folder) =>
        Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));

    private static long Pragma(string path, string pragma)
    {
        using var connection = new SqliteConnection($"Data Source={new Uri(path).AbsoluteUri}?immutable=1;Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = pragma;
        return Convert.ToInt64(command.ExecuteScalar());
    }

    [Fact]
    public async Task AuditVerify_AWholeCopy_PassesAndWritesNothingInIt()
    {
        var folder = await BackupWithADocumentAsync();
        var before = Hashes(folder);

        var verify = await CliRunner.RunAsync(["audit", "verify", "--data", folder]);

        Assert.True(verify.ExitCode == 0, verify.Stderr);
        Assert.StartsWith("Audit chain intact: ", verify.Stdout, StringComparison.Ordinal);
        // Each file read as immutable: no -shm, no -wal, no byte changed (a backup's folder may be read-only).
        Assert.Equal(before, Hashes(folder));
    }

    /// <summary>
    /// qa44a F3: a directory a newer build wrote was verified as any other; an older build verifying a directory whose record
    /// hash had changed called a healthy log tampered. Refused as the start and the other verbs refuse it, reading nothing more.
    /// </summary>
    [Fact]
    public async Task AuditVerify_ADirectoryOfANewerDataFormat_IsRefusedInOneLineNamingTheFile()
    {
        var folder = await BackupWithADocumentAsync();
        var newer = ServerSchema.FormatVersion + 1;
        foreach (var file in new[] { "knowledge.db", "agentcrm.db" })
        {
            using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, file)};Pooling=False");
            connection.Open();
            using var stamp = connection.CreateCommand();
            stamp.CommandText = $"PRAGMA user_version = {newer}";
            stamp.ExecuteNonQuery();
        }
        var before = Hashes(folder);

        var line = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["audit", "verify", "--data", folder]));

        // The first file found newer, as the start names it (a knowledge file is read before agentcrm.db).
        Assert.StartsWith($"agentcrm: {Path.Combine(folder, "knowledge.db")} is in data format {newer}, newer than this build's ({ServerSchema.FormatVersion}): a newer agentcrm wrote it", line, StringComparison.Ordinal);
        Assert.Equal(before, Hashes(folder));
        Assert.Equal(DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["agents", "list", "--data", folder])), line);
    }
}
