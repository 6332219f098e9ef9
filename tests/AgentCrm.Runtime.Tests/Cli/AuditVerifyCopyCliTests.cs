using System.Security.Cryptography;
using System.Text.RegularExpressions;
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

    /// <summary>qa44a F1: the README's sqlite3 loop stopped during knowledge.db (a full disk) left it partial with a -journal: "intact", exit 0.</summary>
    [Fact]
    public async Task AuditVerify_ACopyWhoseKnowledgeStoreIsCutShort_Exits1NamingThatFile()
    {
        var folder = await BackupWithADocumentAsync();
        var store = Path.Combine(folder, "knowledge.db");
        using (var file = new FileStream(store, FileMode.Open))
            file.SetLength(file.Length / 2);
        File.WriteAllBytes(store + "-journal", new byte[1024]);

        var line = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["audit", "verify", "--data", folder]));

        Assert.StartsWith($"agentcrm: {store} is not a whole SQLite database (", line, StringComparison.Ordinal);
        Assert.Contains($"({store}-journal beside it is what an interrupted backup leaves)", line, StringComparison.Ordinal);
        Assert.EndsWith("take the backup again, or verify another copy; a server's data directory: restore it from a backup.", line, StringComparison.Ordinal);
    }

    /// <summary>qa44a F1: a copy whose catalog is empty, which a start on it refuses (every document would be lost), passed.</summary>
    [Fact]
    public async Task AuditVerify_ACopyWhoseCatalogIsEmpty_Exits1AsAStartOnItWould_UnlessItsLossIsAccepted()
    {
        var folder = await BackupWithADocumentAsync();
        var catalog = Path.Combine(folder, "knowledge-catalog.db");
        File.WriteAllBytes(catalog, []);

        var line = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["audit", "verify", "--data", folder]));

        // The playbook and the bundled documents its ingest added.
        Assert.Matches($@"^agentcrm: {Regex.Escape(catalog)} is empty \(0 bytes\), but {Regex.Escape(Path.Combine(folder, "agentcrm.db"))} records \d+ knowledge documents ", line);
        Assert.Contains("Storage__AcceptLostCompanions=true", line, StringComparison.Ordinal);
        // The setting a start needs on it is the one that lets verify pass it: the loss is then accepted.
        var accepted = await CliRunner.RunAsync(["audit", "verify", "--data", folder], new Dictionary<string, string> { ["Storage__AcceptLostCompanions"] = "true" });
        Assert.True(accepted.ExitCode == 0, accepted.Stderr);
    }

    /// <summary>
    /// qa44a F2: a page verify never reads (here the case sets' table) zeroed, as bit rot or an edit leaves it: "intact", exit 0,
    /// and a server on it failed later, on the writes that reach that page.
    /// </summary>
    [Fact]
    public async Task AuditVerify_ACopyWithADamagedPage_Exits1NamingTheFile()
    {
        var folder = await BackupWithADocumentAsync();
        var database = Path.Combine(folder, "agentcrm.db");
        var page = Pragma(database, "SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = 'case_sets'");
        var size = Pragma(database, "PRAGMA page_size");
        using (var file = new FileStream(database, FileMode.Open))
        {
            file.Position = (page - 1) * size;
            file.Write(new byte[size]);
        }

        var line = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["audit", "verify", "--data", folder]));

        Assert.StartsWith($"agentcrm: {database} is not a whole SQLite database (", line, StringComparison.Ordinal);
        Assert.Contains($"page {page}:", line, StringComparison.Ordinal);
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

    // rev44c M1, M2: knowledge files kept in Knowledge:DataDirectory.
    private static Dictionary<string, string> Apart(string knowledge) => new(BackupCliTests.Quiet) { ["Knowledge__DataDirectory"] = knowledge };

    /// <summary>A server whose knowledge files are in Knowledge:DataDirectory, one document ingested, backed up with its configuration (as the README says).</summary>
    private static async Task<(string Dir, string Knowledge, string Folder)> BackupApartAsync()
    {
        var dir = TempDirectory.Create();
        var knowledge = TempDirectory.Create();
        var doc = Path.Combine(TempDirectory.Create(), "playbook.md");
        await File.WriteAllTextAsync(doc, "# Renewal playbook\n\nCall the sponsor ninety days before the renewal date.\n");
        var ingest = await CliRunner.RunAsync(["knowledge", "ingest", doc, "--data", dir], Apart(knowledge));
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
        var folder = Path.Combine(TempDirectory.Create(), "backup");
        var backup = await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder], Apart(knowledge));
        Assert.True(backup.ExitCode == 0, backup.Stderr);
        return (dir, knowledge, folder);
    }

    /// <summary>
    /// The copy's catalog emptied (qa44a F1's case), verified in the shell the backup was taken in (Knowledge__DataDirectory
    /// set): the lost-catalog check reads the live server's catalog, not the copy's, and says "intact".
    /// </summary>
    [Fact]
    public async Task AuditVerify_ACopyWhoseCatalogIsEmpty_WithKnowledgeKeptApart_Exits1()
    {
        var (_, knowledge, folder) = await BackupApartAsync();
        File.WriteAllBytes(Path.Combine(folder, "knowledge-catalog.db"), []);

        var verify = await CliRunner.RunAsync(["audit", "verify", "--data", folder], Apart(knowledge));

        Assert.True(verify.ExitCode == 1, $"exit {verify.ExitCode}: {verify.Stdout} {verify.Stderr}");
    }

    /// <summary>
    /// The mirror: the live knowledge directory is gone (the disk a restore is for), and a whole copy, verified with the same
    /// configuration, is refused, naming the live directory's catalog rather than anything in the copy.
    /// </summary>
    [Fact]
    public async Task AuditVerify_AWholeCopy_WithTheLiveKnowledgeDirectoryGone_Passes()
    {
        var (_, knowledge, folder) = await BackupApartAsync();
        Directory.Delete(knowledge, recursive: true);

        var verify = await CliRunner.RunAsync(["audit", "verify", "--data", folder], Apart(knowledge));

        Assert.True(verify.ExitCode == 0, verify.Stderr);
    }

    /// <summary>A running server's directory (WAL, -wal and -shm beside each file): verify passes.</summary>
    [Fact]
    public async Task AuditVerify_ARunningServersDirectory_Passes()
    {
        var dir = await BackupCliTests.DirectoryWithADocumentAsync();
        using var server = ServeProcess.Start(dir, BackupCliTests.Quiet);
        await server.WaitForReadyAsync();
        Assert.True(File.Exists(Path.Combine(dir, "knowledge.db-wal")) || File.Exists(Path.Combine(dir, "knowledge-catalog.db-wal")), string.Join(", ", Directory.GetFiles(dir).Select(Path.GetFileName)));

        var verify = await CliRunner.RunAsync(["audit", "verify", "--data", dir]);

        Assert.True(verify.ExitCode == 0, verify.Stderr);
    }

    /// <summary>
    /// README: verify runs quick_check on "each of agentcrm.db, knowledge-catalog.db and knowledge.db". With Knowledge:DataDirectory
    /// set, the live directory's knowledge.db cut short is never checked (only files beside agentcrm.db are): "intact".
    /// </summary>
    [Fact]
    public async Task AuditVerify_TheDataDirectory_WhoseKnowledgeStoreApartIsCutShort_Exits1()
    {
        var (dir, knowledge, _) = await BackupApartAsync();
        var store = Path.Combine(knowledge, "knowledge.db");
        using (var file = new FileStream(store, FileMode.Open))
            file.SetLength(file.Length / 2);

        var verify = await CliRunner.RunAsync(["audit", "verify", "--data", dir], Apart(knowledge));

        Assert.True(verify.ExitCode == 1, $"exit {verify.ExitCode}: {verify.Stdout} {verify.Stderr}");
        Assert.Contains(store, verify.Stderr, StringComparison.Ordinal);
    }

    // rev44d L3: the copy's catalog deleted (knowledge.db still beside it): the copy's files are its own, not the live ones.
    [Fact]
    public async Task AuditVerify_ACopyWhoseCatalogIsGone_WithKnowledgeKeptApart_Exits1()
    {
        var (_, knowledge, folder) = await BackupApartAsync();
        File.Delete(Path.Combine(folder, "knowledge-catalog.db"));

        var verify = await CliRunner.RunAsync(["audit", "verify", "--data", folder], Apart(knowledge));

        Assert.True(verify.ExitCode == 1, $"exit {verify.ExitCode}: {verify.Stdout} {verify.Stderr}");
        Assert.Contains(Path.Combine(folder, "knowledge-catalog.db"), verify.Stderr, StringComparison.Ordinal);
    }
}
