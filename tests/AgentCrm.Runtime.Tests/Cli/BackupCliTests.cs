using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Server;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>`agentcrm backup --to FOLDER`: consistent copies taken while the server takes writes, that restore and verify.</summary>
public sealed class BackupCliTests
{
    internal static readonly Dictionary<string, string> Quiet = new() { ["Knowledge__IngestBundled"] = "false" };

    private static long CountEvents(string dir)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "agentcrm.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM events";
        return (long)count.ExecuteScalar()!;
    }

    [Fact]
    public async Task Backup_WhileEventsArePosted_RestoresToAServerHoldingWhatWasAcceptedBeforeIt()
    {
        var dir = TempDirectory.Create();
        var created = await CliRunner.RunAsync(["keys", "create", "--role", "integrator", "--name", "feed", "--data", dir]);
        Assert.True(created.ExitCode == 0, created.Stderr);
        var key = created.Stdout.Split('\n', StringSplitOptions.TrimEntries).First(l => l.StartsWith("acrm_", StringComparison.Ordinal));
        // accepted: answered 202; sent: posted, answered or not (a batch in flight when the backup ends may be in it).
        long accepted = 0, sent = 0;
        var folder = Path.Combine(TempDirectory.Create(), "backup");
        long before, after;
        using (var server = ServeProcess.Start(dir, Quiet))
        {
            await server.WaitForReadyAsync();
            using var client = new HttpClient { BaseAddress = server.Address };
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
            using var stop = new CancellationTokenSource();
            var posting = Task.Run(async () =>
            {
                var batch = 0;
                while (!stop.IsCancellationRequested)
                {
                    Interlocked.Add(ref sent, 50);
                    var events = Enumerable.Range(0, 50).Select(i => $$"""{"id":"e-{{batch}}-{{i}}","customerId":"c-{{i % 7}}","type":"login","occurredAt":"2026-01-01T00:00:00Z"}""");
                    using var response = await client.PostAsync("/v1/events", new StringContent($"[{string.Join(',', events)}]", Encoding.UTF8, "application/json"));
                    Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                    Interlocked.Add(ref accepted, 50);
                    batch++;
                }
            });
            while (Interlocked.Read(ref accepted) < 2_000)
                await Task.Delay(20);

            before = Interlocked.Read(ref accepted);
            var backup = await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder, "--json"]);
            after = Interlocked.Read(ref sent);
            var acceptedMeanwhile = Interlocked.Read(ref accepted) - before;
            await stop.CancelAsync();
            await posting;

            Assert.True(backup.ExitCode == 0, backup.Stderr);
            // The posts went on during the backup: it did not wait for a quiet moment.
            Assert.True(acceptedMeanwhile > 0, $"no event was accepted while the backup ran ({before} before it)");
            var files = JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("files").EnumerateArray().ToList();
            Assert.Equal(["agentcrm.db", "knowledge-catalog.db", "knowledge.db"], files.Select(f => f.GetProperty("name").GetString()));
            Assert.StartsWith("audit chain intact", files[0].GetProperty("check").GetString(), StringComparison.Ordinal);
            server.Signal(15);
            Assert.Equal(0, await server.WaitForExitAsync());
        }
        // Whole files under their final names only: no partial copy, no -journal, no -wal.
        Assert.All(Directory.GetFiles(folder).Select(Path.GetFileName), f => Assert.EndsWith(".db", f, StringComparison.Ordinal));

        var restored = TempDirectory.Create();
        foreach (var file in Directory.GetFiles(folder))
            File.Copy(file, Path.Combine(restored, Path.GetFileName(file)));
        var verify = await CliRunner.RunAsync(["audit", "verify", "--data", restored]);
        Assert.True(verify.ExitCode == 0, verify.Stderr);
        using (var server = ServeProcess.Start(restored, Quiet))
        {
            await server.WaitForReadyAsync();
            server.Signal(15);
            Assert.Equal(0, await server.WaitForExitAsync());
        }
        var events = CountEvents(restored);
        Assert.True(events >= before && events <= after, $"restored {events} events; {before} were accepted before the backup began, {after} sent by its end");
        Assert.Equal(0, (await CliRunner.RunAsync(["audit", "verify", "--data", restored])).ExitCode);
    }

    [Fact]
    public async Task Backup_IntoAFolderThatIsNotEmpty_IsRefusedWritingNothing()
    {
        var dir = TempDirectory.Create();
        Assert.Equal(0, (await CliRunner.RunAsync(["keys", "create", "--role", "csm", "--name", "ann", "--data", dir])).ExitCode);
        var folder = TempDirectory.Create();
        Assert.Equal(0, (await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder])).ExitCode);

        var again = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder]));
        Assert.Equal($"agentcrm: --to: {folder} holds a backup already (agentcrm.db); give an empty or new folder.", again);

        // What kill -9 leaves mid-copy: the copy under its temporary name and SQLite's journal beside it.
        var interrupted = TempDirectory.Create();
        await File.WriteAllTextAsync(Path.Combine(interrupted, "agentcrm.db.partial"), "x");
        await File.WriteAllTextAsync(Path.Combine(interrupted, "agentcrm.db.partial-journal"), "x");
        var leftOver = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["backup", "--data", dir, "--to", interrupted]));
        Assert.Equal($"agentcrm: --to: {interrupted} holds an interrupted backup (agentcrm.db.partial, agentcrm.db.partial-journal): it is not usable; throw that folder away and give an empty or new one.", leftOver);

        var other = TempDirectory.Create();
        await File.WriteAllTextAsync(Path.Combine(other, "notes.txt"), "x");
        var notEmpty = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["backup", "--data", dir, "--to", other]));
        Assert.Equal($"agentcrm: --to: {other} is not empty (notes.txt); give an empty or new folder.", notEmpty);
        Assert.Equal(["notes.txt"], Directory.GetFiles(other).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Backup_IntoTheDataDirectoryOrAFolderInIt_IsRefusedWritingNothing()
    {
        var dir = TempDirectory.Create();
        Assert.Equal(0, (await CliRunner.RunAsync(["keys", "create", "--role", "csm", "--name", "ann", "--data", dir])).ExitCode);
        var before = Directory.GetFileSystemEntries(dir).Order(StringComparer.Ordinal).ToList();
        var full = Path.GetFullPath(dir);

        var itself = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["backup", "--data", dir, "--to", dir]));
        var inside = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["backup", "--data", dir, "--to", Path.Combine(dir, "bk")]));

        Assert.Equal($"agentcrm: --to: {full} is the data directory ({full}); give a folder outside it.", itself);
        Assert.Equal($"agentcrm: --to: {Path.Combine(full, "bk")} is inside the data directory ({full}); give a folder outside it.", inside);
        Assert.Equal(before, Directory.GetFileSystemEntries(dir).Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// qa41a F1: a server keeping its knowledge files apart (Knowledge:DataDirectory), backed up from a shell without that setting:
    /// the catalog was "none in DIR: nothing to copy", exit 0, and a restore of the folder was refused at start (or lost every
    /// document). The audit in the copy shows the documents, so the backup fails saying where the files went, and the folder
    /// stays marked incomplete.
    /// </summary>
    [Fact]
    public async Task Backup_WithoutTheKnowledgeDirectoryTheServerUses_FailsNamingIt_AndLeavesTheFolderMarkedIncomplete()
    {
        var dir = TempDirectory.Create();
        var knowledge = TempDirectory.Create();
        var apart = new Dictionary<string, string>(Quiet) { ["Knowledge__DataDirectory"] = knowledge };
        var doc = Path.Combine(TempDirectory.Create(), "playbook.md");
        await File.WriteAllTextAsync(doc, "# Renewal playbook\n\nCall the sponsor ninety days before the renewal date.\n");
        var ingest = await CliRunner.RunAsync(["knowledge", "ingest", doc, "--data", dir], apart);
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
        var database = Path.Combine(Path.GetFullPath(dir), "agentcrm.db");

        var folder = Path.Combine(TempDirectory.Create(), "backup");
        var failed = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder], Quiet));
        // The playbook and the bundled documents the first ingest added.
        Assert.StartsWith($"agentcrm: {Path.Combine(Path.GetFullPath(dir), "knowledge-catalog.db")} is missing, but {database} records ", failed, StringComparison.Ordinal);
        Assert.EndsWith(" knowledge documents: if the server keeps its knowledge files elsewhere (its Knowledge:DataDirectory, which this command did not get), run the " +
            $"backup with its configuration (e.g. Knowledge__DataDirectory=DIR); if the catalog was lost, the server will not start on {Path.GetFullPath(dir)} " +
            $"either, and Storage__AcceptLostCompanions=true backs up what is there. The backup in {folder} is incomplete: throw the folder away.", failed, StringComparison.Ordinal);
        Assert.Equal(["agentcrm.db", "backup.partial"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var into = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder], apart));
        Assert.StartsWith($"agentcrm: --to: {folder} holds an interrupted backup (agentcrm.db, backup.partial)", into, StringComparison.Ordinal);

        var whole = Path.Combine(TempDirectory.Create(), "backup");
        var backup = await CliRunner.RunAsync(["backup", "--data", dir, "--to", whole, "--json"], apart);
        Assert.True(backup.ExitCode == 0, backup.Stderr);
        Assert.Equal(["agentcrm.db", "knowledge-catalog.db", "knowledge.db"], Directory.GetFiles(whole).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // qa41a F4: a member the README says is absent unless the source's log is broken is absent, not null.
        Assert.All(JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("files").EnumerateArray(), f => Assert.False(f.TryGetProperty("sourceAuditBroken", out _), f.ToString()));
    }

    /// <summary>qa41a F3: a folder named through a symbolic link to the data directory is inside it (paths were compared as text).</summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Backup_IntoTheDataDirectoryThroughALink_IsRefusedWritingNothing()
    {
        var dir = TempDirectory.Create();
        Assert.Equal(0, (await CliRunner.RunAsync(["keys", "create", "--role", "csm", "--name", "ann", "--data", dir])).ExitCode);
        var before = Directory.GetFileSystemEntries(dir).Order(StringComparer.Ordinal).ToList();
        var link = Path.Combine(TempDirectory.Create(), "link");
        File.CreateSymbolicLink(link, dir);

        var inside = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["backup", "--data", dir, "--to", Path.Combine(link, "bk")]));

        Assert.Equal($"agentcrm: --to: {Path.Combine(link, "bk")} is inside the data directory ({Path.GetFullPath(dir)}); give a folder outside it.", inside);
        Assert.Equal(before, Directory.GetFileSystemEntries(dir).Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>A data directory with one ingested document: agentcrm.db, the catalog and knowledge.db side by side.</summary>
    internal static async Task<string> DirectoryWithADocumentAsync()
    {
        var dir = TempDirectory.Create();
        var doc = Path.Combine(TempDirectory.Create(), "playbook.md");
        await File.WriteAllTextAsync(doc, "# Renewal playbook\n\nCall the sponsor ninety days before the renewal date.\n");
        var ingest = await CliRunner.RunAsync(["knowledge", "ingest", doc, "--data", dir], Quiet);
        Assert.True(ingest.ExitCode == 0, ingest.Stderr);
        Assert.True(File.Exists(Path.Combine(dir, "knowledge-catalog.db")));
        return dir;
    }

    /// <summary>
    /// rev41 #1: a catalog there but empty (0 bytes), which the server's start takes for lost, passed the backup's check (VACUUM
    /// INTO made it an empty database) and exited 0; a server on the restore then recorded every document deleted.
    /// </summary>
    [Fact]
    public async Task Backup_OfADirectoryWhoseCatalogIsEmpty_FailsAsAStartOnItWould()
    {
        var dir = await DirectoryWithADocumentAsync();
        var catalog = Path.Combine(Path.GetFullPath(dir), "knowledge-catalog.db");
        foreach (var side in new[] { "-wal", "-shm" })
            File.Delete(catalog + side);
        File.WriteAllBytes(catalog, []);

        var folder = Path.Combine(TempDirectory.Create(), "backup");
        var failed = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder], Quiet));

        // The playbook and the bundled documents the ingest added.
        Assert.StartsWith($"agentcrm: {catalog} is empty (0 bytes), but {Path.Combine(Path.GetFullPath(dir), "agentcrm.db")} records ", failed, StringComparison.Ordinal);
        Assert.Contains(" knowledge documents: if the server keeps its knowledge files elsewhere", failed, StringComparison.Ordinal);
        Assert.Contains("backup.partial", Directory.GetFiles(folder).Select(Path.GetFileName));
    }

    /// <summary>
    /// rev41 #2: a catalog lost for real could not be backed up at all, the message blaming a knowledge directory elsewhere. It
    /// names both causes, and the setting that lets the server start without the catalog lets the backup copy what is there.
    /// </summary>
    [Fact]
    public async Task Backup_OfADirectoryWhoseCatalogWasLost_CopiesWhatIsThere_WithTheSettingTheServerNeedsToStart()
    {
        var dir = await DirectoryWithADocumentAsync();
        foreach (var side in new[] { "", "-wal", "-shm" })
            File.Delete(Path.Combine(dir, "knowledge-catalog.db" + side));

        var refused = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["backup", "--data", dir, "--to", Path.Combine(TempDirectory.Create(), "backup")], Quiet));
        Assert.Contains("if the catalog was lost, the server will not start on", refused, StringComparison.Ordinal);

        var folder = Path.Combine(TempDirectory.Create(), "backup");
        var accepting = new Dictionary<string, string>(Quiet) { ["Storage__AcceptLostCompanions"] = "true" };
        var backup = await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder, "--json"], accepting);

        Assert.True(backup.ExitCode == 0, backup.Stderr);
        Assert.Contains(" knowledge documents; copied without it (Storage:AcceptLostCompanions): a restore of this backup starts only with that setting", backup.Stderr, StringComparison.Ordinal);
        Assert.Equal(["agentcrm.db", "knowledge.db"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var catalog = JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("files")[1];
        Assert.Equal(JsonValueKind.Null, catalog.GetProperty("bytes").ValueKind);
        Assert.Contains("copied without it", catalog.GetProperty("check").GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// rev41b #1: a catalog whose file is gone but whose -wal is left (deleted under a running server) passed as kept, since the
    /// -wal holds bytes: "none in DIR: nothing to copy", exit 0, and neither the source nor the restore starts.
    /// </summary>
    [Fact]
    public async Task Backup_OfACatalogWhoseFileIsGoneButWhoseWalIsLeft_FailsAsAMissingOne()
    {
        var dir = await DirectoryWithADocumentAsync();
        var catalog = Path.Combine(Path.GetFullPath(dir), "knowledge-catalog.db");
        // A real write-ahead log, as a server's open catalog has one: one commit kept out of the file (no checkpoint).
        byte[] wal;
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = catalog, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE probe(a); INSERT INTO probe VALUES (1);";
            command.ExecuteNonQuery();
            using var read = new FileStream(catalog + "-wal", FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            wal = new byte[read.Length];
            read.ReadExactly(wal);
        }
        Assert.NotEmpty(wal);
        foreach (var side in new[] { "", "-wal", "-shm" })
            File.Delete(catalog + side);
        File.WriteAllBytes(catalog + "-wal", wal);

        var folder = Path.Combine(TempDirectory.Create(), "backup");
        var failed = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["backup", "--data", dir, "--to", folder], Quiet));

        Assert.StartsWith($"agentcrm: {catalog} is missing, but ", failed, StringComparison.Ordinal);
        Assert.Contains("backup.partial", Directory.GetFiles(folder).Select(Path.GetFileName));
    }
}
