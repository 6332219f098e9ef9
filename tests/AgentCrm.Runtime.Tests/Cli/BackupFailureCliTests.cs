using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// `backup` when a source cannot be copied: one line naming the file and saying the backup folder is incomplete (fix31c: a bare
/// "SQLite Error 11" naming no file, the folder left holding agentcrm.db alone); a read-only data directory is backed up.
/// </summary>
public sealed class BackupFailureCliTests
{
    private static async Task<string> DataDirectoryAsync()
    {
        var dir = TempDirectory.Create();
        var made = await CliRunner.RunAsync(["keys", "create", "--role", "ops", "--name", "ops", "--data", dir]);
        Assert.True(made.ExitCode == 0, made.Stderr);
        return dir;
    }

    [Fact]
    public async Task Backup_OfADamagedKnowledgeCatalog_NamesThatFile_AndSaysTheBackupIsIncomplete()
    {
        var dir = await DataDirectoryAsync();
        var catalog = Path.Combine(dir, "knowledge-catalog.db");
        using (var connection = new SqliteConnection($"Data Source={catalog};Pooling=False"))
        {
            connection.Open();
            using var fill = connection.CreateCommand();
            fill.CommandText = "CREATE TABLE units (id INTEGER PRIMARY KEY, text TEXT); " +
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO units SELECT i, printf('%.200c', 'x') FROM n;";
            fill.ExecuteNonQuery();
        }
        // Cut short, as a copy interrupted midway or a failing disk leaves it.
        using (var file = new FileStream(catalog, FileMode.Open))
            file.SetLength(file.Length / 2);
        var folder = Path.Combine(TempDirectory.Create(), "backup");

        var result = await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder]);

        Assert.True(result.ExitCode == 1, result.Stderr);
        var line = Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.StartsWith($"agentcrm: cannot copy {catalog} (it is damaged: ", line, StringComparison.Ordinal);
        Assert.EndsWith($"the backup in {folder} is incomplete: throw the folder away and take it again.", line, StringComparison.Ordinal);
    }

    /// <summary>
    /// qa44a F3: a directory a newer build wrote was copied, and its audit log checked by this build's rules (an older build
    /// called a healthy log of a newer hash format broken). Refused as the start and the other verbs refuse it, creating nothing.
    /// </summary>
    [Fact]
    public async Task Backup_OfADirectoryOfANewerDataFormat_IsRefusedInOneLineNamingTheFile_CreatingNothing()
    {
        var dir = await DataDirectoryAsync();
        var database = Path.Combine(Path.GetFullPath(dir), "agentcrm.db");
        var newer = AgentCrm.Server.ServerSchema.FormatVersion + 1;
        using (var connection = new SqliteConnection($"Data Source={database};Pooling=False"))
        {
            connection.Open();
            using var stamp = connection.CreateCommand();
            stamp.CommandText = $"PRAGMA user_version = {newer}";
            stamp.ExecuteNonQuery();
        }
        var folder = Path.Combine(TempDirectory.Create(), "backup");

        var line = Server.DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder]));

        Assert.StartsWith($"agentcrm: {database} is in data format {newer}, newer than this build's ({AgentCrm.Server.ServerSchema.FormatVersion}): a newer agentcrm wrote it", line, StringComparison.Ordinal);
        Assert.Equal(Server.DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["agents", "list", "--data", dir])), line);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Backup_OfADataDirectoryItsUserCannotWrite_CopiesAndChecksEachFile()
    {
        var dir = await DataDirectoryAsync();
        Assert.False(File.Exists(Path.Combine(dir, "agentcrm.db-wal")));
        // Writable by anyone: the backup is written there by the user who cannot write the data directory.
        var parent = TempDirectory.Create();
        File.SetUnixFileMode(parent, (UnixFileMode)0b111_111_111);
        var folder = Path.Combine(parent, "backup");
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        try
        {
            var (exit, stdout, stderr) = await RunUnprivilegedAsync(["backup", "--data", dir, "--to", folder]);

            Assert.True(exit == 0, stderr);
            Assert.Contains($"{Path.Combine(folder, "agentcrm.db")}: ", stdout, StringComparison.Ordinal);
            Assert.Contains("audit chain intact", stdout, StringComparison.Ordinal);
            Assert.Equal(["agentcrm.db"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        }
    }

    /// <summary>
    /// The CLI as a user for whom file modes hold: this process's user, or nobody (65534) when that is root, which may write anywhere.
    /// </summary>
    internal static async Task<(int Exit, string Stdout, string Stderr)> RunUnprivilegedAsync(string[] args)
    {
        var info = new ProcessStartInfo(Environment.IsPrivilegedProcess ? "setpriv" : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Environment.IsPrivilegedProcess)
            foreach (var a in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", "dotnet"])
                info.ArgumentList.Add(a);
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "agentcrm.dll"));
        foreach (var a in args)
            info.ArgumentList.Add(a);
        info.Environment["HOME"] = Path.GetTempPath();
        info.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
