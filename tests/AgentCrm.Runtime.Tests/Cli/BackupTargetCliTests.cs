namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// `backup --to DIR` that cannot be written says `--to` and what is wrong with it, one line, exit 1 (qa35a: an unwritable
/// folder blamed the data directory's -shm, a parent that could not take the folder answered a bare "Access to the path
/// … is denied.", /proc a bare "Could not find file").
/// </summary>
public sealed class BackupTargetCliTests
{
    private static async Task<string> DataDirectoryAsync()
    {
        var dir = TempDirectory.Create();
        var made = await CliRunner.RunAsync(["keys", "create", "--role", "ops", "--name", "ops", "--data", dir]);
        Assert.True(made.ExitCode == 0, made.Stderr);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        // A -wal beside agentcrm.db, as a running server keeps: what made the old message blame the data directory.
        File.WriteAllBytes(Path.Combine(dir, "agentcrm.db-wal"), []);
        return dir;
    }

    private static string OneLine(string stderr) => Assert.Single(stderr.Trim().Split('\n'));

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Backup_IntoAFolderItsUserCannotWrite_NamesTo_NotTheDataDirectory()
    {
        var dir = await DataDirectoryAsync();
        // Owned by this process's user (root in CI), not writable by the unprivileged user the CLI runs as.
        var folder = Directory.CreateDirectory(Path.Combine(TempDirectory.Create(), "backup")).FullName;
        File.SetUnixFileMode(Path.GetDirectoryName(folder)!, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);

        var (exit, _, stderr) = await BackupFailureCliTests.RunUnprivilegedAsync(["backup", "--data", dir, "--to", folder]);

        Assert.True(exit == 1, stderr);
        var line = OneLine(stderr);
        Assert.StartsWith($"agentcrm: --to: cannot write into {folder} (", line, StringComparison.Ordinal);
        Assert.DoesNotContain("-shm", line, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Backup_IntoANewFolderUnderOneItsUserCannotWrite_SaysToCannotBeCreated()
    {
        var dir = await DataDirectoryAsync();
        var parent = TempDirectory.Create();
        File.SetUnixFileMode(parent, (UnixFileMode)0b111_101_101);
        var folder = Path.Combine(parent, "backup");

        var (exit, _, stderr) = await BackupFailureCliTests.RunUnprivilegedAsync(["backup", "--data", dir, "--to", folder]);

        Assert.True(exit == 1, stderr);
        Assert.StartsWith($"agentcrm: --to: cannot create {folder} (", OneLine(stderr), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backup_IntoAPathUnderAFile_SaysToCannotBeCreated()
    {
        var dir = await DataDirectoryAsync();
        var file = Path.Combine(TempDirectory.Create(), "notes.txt");
        File.WriteAllText(file, "not a folder");
        var folder = Path.Combine(file, "backup");

        var result = await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder]);

        Assert.True(result.ExitCode == 1, result.Stderr);
        Assert.StartsWith($"agentcrm: --to: cannot create {folder} (", OneLine(result.Stderr), StringComparison.Ordinal);
    }
}
