using System.Security.Cryptography;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Server;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// What `agentcrm serve` (and the other commands) do with the data directory before anything else: the data format stamp
/// (a newer one is refused, an older build's directory is migrated and stamped), a lost database beside used knowledge
/// files, damaged or unusable files named in one line. The real process, on real files.
/// </summary>
public sealed class DataDirectoryStartTests
{
    private static readonly string[] DatabaseFiles = ["agentcrm.db", "knowledge.db", "knowledge-catalog.db"];

    /// <summary>A data directory a server has used (every database file present, closed cleanly, logs checkpointed).</summary>
    private static async Task<string> UsedDirectoryAsync()
    {
        var dir = TempDirectory.Create();
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
        }
        SqliteConnection.ClearAllPools();
        foreach (var file in DatabaseFiles)
        {
            Assert.True(File.Exists(Path.Combine(dir, file)), $"expected the server to have created {file}");
            Execute(Path.Combine(dir, file), "PRAGMA wal_checkpoint(TRUNCATE);");
        }
        return dir;
    }

    private static long UserVersion(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>One line on stderr, starting "agentcrm: ", no stack trace, exit 1.</summary>
    internal static string OneLineFailure(CliResult result)
    {
        Assert.True(result.ExitCode == 1, $"expected exit 1, got {result.ExitCode}: {result.Stderr}");
        var lines = result.Stderr.Trim().Split('\n');
        Assert.True(lines.Length == 1, $"expected one line on stderr: {result.Stderr}");
        Assert.StartsWith("agentcrm: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", lines[0], StringComparison.Ordinal);
        return lines[0];
    }

    /// <summary>`agentcrm serve` expected to refuse; one that serves instead fails the test and is killed, not left running.</summary>
    private static async Task<CliResult> ServeAsync(string dir)
    {
        using var server = ServeProcess.Start(dir, new() { ["Knowledge__IngestBundled"] = "false" });
        var exit = await server.WaitForExitAsync();
        return new CliResult(exit, server.Stdout, server.Stderr);
    }

    /// <summary>
    /// The knowledge files are created after the database opens; they were stamped only by the next start (or CLI command),
    /// so a backup taken during a first run held unstamped knowledge files that no newer-format check protects (qa27b).
    /// </summary>
    [Fact]
    public async Task FreshDirectory_IsStampedWithThisBuildsFormat_DatabaseAndKnowledgeFiles_DuringItsFirstRun()
    {
        var dir = TempDirectory.Create();
        await using var app = await AgentCrmApp.StartAsync(dir, new Dictionary<string, string?> { ["Knowledge:IngestBundled"] = "true" });
        foreach (var file in DatabaseFiles)
            Assert.True(UserVersion(Path.Combine(dir, file)) == ServerSchema.FormatVersion, $"{file} stamped {UserVersion(Path.Combine(dir, file))}");
    }

    /// <summary>
    /// A restore that forgot knowledge-catalog.db (or the file deleted): the start re-created the bundled documents, ops'
    /// own documents were gone, and the audit log recorded their deletion by system:recovered (qa27b). Now refused in one
    /// line, as a lost agentcrm.db beside used knowledge files is, unless ops give the documents up for one start.
    /// </summary>
    [Theory]
    [InlineData("deleted")]
    [InlineData("truncated")]
    public async Task ALostKnowledgeCatalog_BesideADatabaseWhoseAuditShowsDocuments_IsRefused_UnlessGivenUp(string how)
    {
        var dir = TempDirectory.Create();
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            using var kept = await app.Client.PostAsync("/v1/knowledge/documents?id=qa-playbook", new StringContent("# QA\n\nCall failed payers within 48 hours.\n", System.Text.Encoding.UTF8, "text/markdown"));
            Assert.True(kept.IsSuccessStatusCode, await kept.Content.ReadAsStringAsync());
            using var ingested = await app.Client.PostAsync("/v1/knowledge/documents?id=gone", new StringContent("# Gone\n\nDeleted before the loss.\n", System.Text.Encoding.UTF8, "text/markdown"));
            Assert.True(ingested.IsSuccessStatusCode);
            using var deleted = await app.Client.DeleteAsync("/v1/knowledge/documents/gone");
            Assert.True(deleted.IsSuccessStatusCode);
        }
        SqliteConnection.ClearAllPools();
        var catalog = Path.Combine(dir, "knowledge-catalog.db");
        foreach (var file in new[] { catalog, catalog + "-wal", catalog + "-shm" }.Where(File.Exists))
            File.Delete(file);
        if (how == "truncated")
            File.WriteAllBytes(catalog, []);
        var auditBefore = Hash(Path.Combine(dir, "agentcrm.db"));

        var line = OneLineFailure(await ServeAsync(dir));
        Assert.Contains(catalog, line);
        Assert.Contains(how == "truncated" ? "is empty (0 bytes)" : "is missing", line);
        Assert.Contains("records 1 knowledge documents", line);
        Assert.Contains("Storage:AcceptLostCompanions=true (environment: Storage__AcceptLostCompanions=true)", line);
        Assert.Equal(auditBefore, Hash(Path.Combine(dir, "agentcrm.db")));
        var cli = OneLineFailure(await CliRunner.RunAsync(["keys", "list", "--data", dir]));
        Assert.Contains(catalog, cli);
        // The way the message names works as given (a command-line flag of that form did not: serve takes --data and --urls).
        var given = await CliRunner.RunAsync(["keys", "list", "--data", dir], new Dictionary<string, string> { ["Storage__AcceptLostCompanions"] = "true" });
        Assert.True(given.ExitCode == 0, given.Stderr);

        // Given up on purpose: it starts, and the loss is audited as before.
        await using (var app = await AgentCrmApp.StartAsync(dir, new Dictionary<string, string?> { ["Storage:AcceptLostCompanions"] = "true" }))
        {
            var audit = await app.GetJsonAsync("/v1/audit?subject=knowledge:qa-playbook");
            Assert.Equal("knowledge.deleted", audit.GetProperty("items")[0].GetProperty("action").GetString());
        }
        // ... after which the audit no longer shows the document, and the next start is not refused.
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
        }
    }

    /// <summary>
    /// Knowledge:DataDirectory keeps the catalog apart: the check looked for it beside agentcrm.db, found none, and refused
    /// every start (and CLI verb) after the first ingest (rev27). It looks where the configuration keeps it.
    /// </summary>
    [Fact]
    public async Task AKnowledgeCatalogKeptApart_IsFoundThere_AndItsLossIsRefusedThere()
    {
        var dir = TempDirectory.Create();
        var knowledge = TempDirectory.Create();
        var apart = new Dictionary<string, string?> { ["Knowledge:DataDirectory"] = knowledge, ["Knowledge:IngestBundled"] = "true" };
        for (var start = 0; start < 2; start++)
        {
            await using var app = await AgentCrmApp.StartAsync(dir, apart);
            Assert.NotEmpty((await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").EnumerateArray());
        }
        Assert.False(File.Exists(Path.Combine(dir, "knowledge-catalog.db")));
        var keys = await CliRunner.RunAsync(["keys", "list", "--data", dir], new Dictionary<string, string> { ["Knowledge__DataDirectory"] = knowledge });
        Assert.True(keys.ExitCode == 0, keys.Stderr);

        SqliteConnection.ClearAllPools();
        var catalog = Path.Combine(knowledge, "knowledge-catalog.db");
        foreach (var file in new[] { catalog, catalog + "-wal", catalog + "-shm" }.Where(File.Exists))
            File.Delete(file);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => AgentCrmApp.StartAsync(dir, apart));
        Assert.Contains($"{catalog} is missing", refused.Message);
    }

    [Fact]
    public async Task AnOlderBuildsUnstampedDirectory_StartsMigratedAndIsStamped()
    {
        var dir = await UsedDirectoryAsync();
        // As a build from before the stamp (and before withdrawn_versions) left it.
        Execute(Path.Combine(dir, "agentcrm.db"), "DROP TABLE withdrawn_versions; DELETE FROM meta WHERE key = 'withdrawn_versions.backfilled'; PRAGMA user_version = 0;");
        foreach (var file in DatabaseFiles)
            Execute(Path.Combine(dir, file), "PRAGMA user_version = 0;");

        await using var app = await AgentCrmApp.StartAsync(dir);
        Assert.Equal(ServerSchema.FormatVersion, UserVersion(Path.Combine(dir, "agentcrm.db")));
        Assert.Equal(ServerSchema.FormatVersion, UserVersion(Path.Combine(dir, "knowledge.db")));
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'withdrawn_versions'";
        Assert.Equal(1L, (long)command.ExecuteScalar()!);
    }

    [Fact]
    public async Task AFormat1Directory_IsStampedWithThisFormat_SoABuildThatCannotReadNullRatesRefusesIt()
    {
        var dir = await UsedDirectoryAsync();
        // As a 2026-12-03..05 build (format 1) left it: it reads a report's rates as numbers, and a null one as a 500.
        foreach (var file in DatabaseFiles)
            Execute(Path.Combine(dir, file), "PRAGMA user_version = 1;");

        await using var app = await AgentCrmApp.StartAsync(dir);
        // Stamped past 1: a format-1 build now refuses the directory at start instead of answering 500 on its reports.
        foreach (var file in DatabaseFiles)
            Assert.True(UserVersion(Path.Combine(dir, file)) is var stamped && stamped > 1 && stamped == ServerSchema.FormatVersion, $"{file} stamped {UserVersion(Path.Combine(dir, file))}");
    }

    [Fact]
    public async Task ADirectoryFromBeforeCanaries_GainsTheCanaryColumn_AndItsVersionsServeEveryCustomer()
    {
        var dir = await UsedDirectoryAsync();
        // As the first builds (2026-11-22, before 02:42) left agent_versions: no canary_percent column, unstamped.
        Execute(Path.Combine(dir, "agentcrm.db"), "ALTER TABLE agent_versions DROP COLUMN canary_percent; PRAGMA user_version = 0;");

        await using var app = await AgentCrmApp.StartAsync(dir);
        var versions = (await app.GetJsonAsync("/v1/agents")).GetProperty("items").EnumerateArray()
            .SelectMany(a => a.GetProperty("versions").EnumerateArray()).ToList();
        Assert.NotEmpty(versions);
        Assert.All(versions, v =>
        {
            Assert.Equal("active", v.GetProperty("state").GetString());
            Assert.Equal(100, v.GetProperty("canaryPercent").GetInt32());
        });
        Assert.Equal(ServerSchema.FormatVersion, UserVersion(Path.Combine(dir, "agentcrm.db")));
    }

    [Fact]
    public async Task ADirectoryFromBeforeTransitionShares_GainsTheColumn_AndLifecycleActionsStillWork()
    {
        var dir = await UsedDirectoryAsync();
        // As builds before 2026-12-05 left agent_transitions: no canary_percent (the share a version held when it changed state).
        Execute(Path.Combine(dir, "agentcrm.db"), "ALTER TABLE agent_transitions DROP COLUMN canary_percent;");

        await using var app = await AgentCrmApp.StartAsync(dir);
        var registry = app.Services.GetRequiredService<AgentCrm.Agents.AgentRegistry>();
        // A transition written now records the share; the older rows (none) count as a primary's.
        await registry.SuspendAsync("renewal-risk", "1.0.1", "test", "checking the upgraded table");
        Assert.Equal("suspended", (await app.GetJsonAsync("/v1/agents/renewal-risk")).GetProperty("versions")[0].GetProperty("state").GetString());
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT canary_percent FROM agent_transitions WHERE agent_id = 'renewal-risk' AND to_state = 'suspended'";
        Assert.Equal(100L, (long)command.ExecuteScalar()!);
    }

    [Theory]
    [InlineData("agentcrm.db")]
    [InlineData("knowledge-catalog.db")]
    public async Task ANewerDataFormat_IsRefusedInOneLine_AndTheFileIsLeftAsItWas(string file)
    {
        var dir = await UsedDirectoryAsync();
        var newer = ServerSchema.FormatVersion + 1;
        Execute(Path.Combine(dir, file), $"PRAGMA user_version = {newer};");
        var before = DatabaseFiles.ToDictionary(f => f, f => Hash(Path.Combine(dir, f)));

        var line = OneLineFailure(await ServeAsync(dir));
        Assert.Contains($"{Path.Combine(dir, file)} is in data format {newer}, newer than this build's ({ServerSchema.FormatVersion})", line);
        foreach (var f in DatabaseFiles)
            Assert.True(before[f] == Hash(Path.Combine(dir, f)), $"{f} was changed by a refused start");
        Assert.False(File.Exists(Path.Combine(dir, "agentcrm.db-wal")), "a refused start left a write-ahead log");

        // The other commands refuse it the same way.
        var keys = OneLineFailure(await CliRunner.RunAsync(["keys", "list", "--data", dir]));
        Assert.Contains($"data format {newer}", keys);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("deleted")]
    public async Task ALostDatabase_BesideUsedKnowledgeFiles_IsRefused_NotStartedAsAFreshInstall(string how)
    {
        var dir = await UsedDirectoryAsync();
        var database = Path.Combine(dir, "agentcrm.db");
        if (how == "truncated")
            File.WriteAllBytes(database, []);
        else
            File.Delete(database);

        var line = OneLineFailure(await ServeAsync(dir));
        Assert.Contains(database, line);
        Assert.Contains(how == "truncated" ? "is empty (0 bytes)" : "is missing", line);
        Assert.Contains("knowledge", line);
        Assert.Contains("Restore the data directory from a backup, or move the directory away", line);
        Assert.True(how == "truncated" ? new FileInfo(database).Length == 0 : !File.Exists(database), "the refused start wrote the database");
    }

    /// <summary>
    /// A b-tree page header no SQLite accepts (a leaf claiming 65,535 cells) on the first page — found when the file is
    /// checked — or on every later page, found only when a store reads its rows.
    /// </summary>
    [Theory]
    [InlineData("agentcrm.db", true)]
    [InlineData("knowledge.db", true)]
    [InlineData("knowledge.db", false)]
    public async Task ADamagedDatabaseFile_IsNamed_WithWhatToDo(string file, bool firstPage)
    {
        var dir = await UsedDirectoryAsync();
        var path = Path.Combine(dir, file);
        const int pageSize = 4096;
        byte[] badHeader = [0x0D, 0, 0, 0xFF, 0xFF, 0, 0, 0];
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            foreach (var offset in firstPage ? [100L] : Enumerable.Range(1, (int)(stream.Length / pageSize) - 1).Select(p => (long)p * pageSize))
            {
                stream.Position = offset;
                stream.Write(badHeader);
            }
        }

        var line = OneLineFailure(await ServeAsync(dir));
        Assert.Contains($"{path} is damaged", line);
        Assert.Contains("restore the data directory from a backup", line);
    }

    [Fact]
    public async Task ADataDirectoryThatCannotBeCreated_IsNamed()
    {
        var file = Path.Combine(TempDirectory.Create(), "a-file");
        await File.WriteAllTextAsync(file, "not a directory");
        var line = OneLineFailure(await ServeAsync(Path.Combine(file, "data")));
        Assert.Contains($"cannot create the data directory {Path.Combine(file, "data")}: {file} is a file, not a directory", line);
    }

    /// <summary>
    /// serve.lock failing to open for another reason than a server holding it — a read-only or full file system, an I/O
    /// error — is told as such, not as "another server": here a lock file that is a symbolic link to itself (ELOOP), the
    /// same IOException path a read-only mount (EROFS) or a full disk (ENOSPC) takes, without needing root to mount one.
    /// </summary>
    [Fact]
    public async Task AServeLockThatCannotBeOpened_IsNamedWithItsCause_NotTakenForAnotherServer()
    {
        var dir = TempDirectory.Create();
        var lockFile = Path.Combine(dir, DataDirectoryLock.FileName);
        File.CreateSymbolicLink(lockFile, lockFile);

        var line = OneLineFailure(await ServeAsync(dir));
        Assert.DoesNotContain("Another agentcrm server", line, StringComparison.Ordinal);
        Assert.Contains($"cannot create or open {lockFile}", line, StringComparison.Ordinal);
        Assert.Contains("read-only, full or failing", line, StringComparison.Ordinal);
    }

    /// <summary>
    /// On a full disk, a database closed cleanly (no -shm left) fails to open with SQLITE_IOERR_SHMSIZE (4874: SQLite could
    /// not grow the new -shm file), not SQLITE_FULL — as `agentcrm serve` and `keys create` did on a full tmpfs. It is told
    /// as a full disk, not as an I/O error that sends the operator to check the hardware. (Filling a disk needs root.)
    /// </summary>
    [Fact]
    public void AnOpenThatCouldNotGrowTheSharedMemoryFile_IsToldAsAFullDisk()
    {
        var dir = TempDirectory.Create();
        var database = new AgentCrm.Storage.SqliteDatabase(Microsoft.Extensions.Options.Options.Create(new AgentCrm.Storage.StorageOptions { DataDirectory = dir }), [AgentCrmServer.Schema]);
        using (database.Open())
        {
        }

        var line = AgentCrm.Storage.SqliteDatabase.DescribeFailure(new SqliteException("SQLite Error 10: 'disk I/O error'.", 10, 4874));
        Assert.Contains("is full (SQLite Error 10: 'disk I/O error')", line, StringComparison.Ordinal);
        Assert.Contains("free space", line, StringComparison.Ordinal);
        // Another I/O error stays one.
        Assert.Contains("an I/O error on the data directory", AgentCrm.Storage.SqliteDatabase.DescribeFailure(new SqliteException("SQLite Error 10: 'disk I/O error'.", 10, 10 | (4 << 8))), StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectionsOpen_WithEveryPragma()
    {
        var dir = TempDirectory.Create();
        var database = new AgentCrm.Storage.SqliteDatabase(Microsoft.Extensions.Options.Options.Create(new AgentCrm.Storage.StorageOptions { DataDirectory = dir }), [AgentCrmServer.Schema]);
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout";
        Assert.Equal((long)AgentCrm.Storage.SqliteDatabase.BusyTimeoutMs, (long)command.ExecuteScalar()!);
        command.CommandText = "PRAGMA cache_size";
        Assert.Equal(-65536L, (long)command.ExecuteScalar()!);
        command.CommandText = "PRAGMA foreign_keys";
        Assert.Equal(1L, (long)command.ExecuteScalar()!);
        command.CommandText = "PRAGMA synchronous";
        Assert.Equal(2L, (long)command.ExecuteScalar()!); // FULL, the default
    }
}
