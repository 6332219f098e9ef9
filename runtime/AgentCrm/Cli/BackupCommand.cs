using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentCrm.Knowledge.Options;
using AgentCrm.Server;
using AgentCrm.Storage;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Cli;

/// <summary>
/// `agentcrm backup --to FOLDER`: a consistent copy of each database file, safe while the server runs. Each is written with
/// <c>VACUUM INTO</c> (one read transaction: a snapshot of what was committed when it began, whatever the server writes
/// meanwhile) — SQLite's online backup (<c>sqlite3 .backup</c>) restarts whenever another connection writes, and on a server
/// taking steady writes never finishes. Each copy gets a temporary name until it is whole and checked, so no file under its
/// final name is ever partial.
/// </summary>
internal static class BackupCommand
{
    /// <summary>What a copy is called until it is whole, synced and checked.</summary>
    internal const string PartialSuffix = ".partial";

    /// <summary>The file that says a backup folder is not complete yet: there from before the first copy until after the last.</summary>
    internal const string MarkerName = "backup" + PartialSuffix;

    public static Command Create()
    {
        var to = new Option<string>("--to") { Description = "An empty or new folder to write the copies into (agentcrm.db, knowledge-catalog.db, knowledge.db).", Required = true };
        var backup = new Command("backup", "Copy the data directory's databases into an empty folder, consistently, also while the server runs; each copy is checked as `audit verify` checks it.") { to };
        backup.SetAction((p, ct) => Task.FromResult(Run(p, p.GetValue(to)!, ct)));
        return backup;
    }

    private static int Run(ParseResult parse, string to, CancellationToken cancellationToken)
    {
        var database = CliHost.DatabasePath(parse);
        var dataDirectory = Path.GetDirectoryName(database)!;
        var knowledge = CliHost.KnowledgeDirectory(parse);
        if (string.IsNullOrWhiteSpace(to))
            return AgentCrmCli.Usage("--to: give a folder to write the backup into.", "agentcrm backup");
        var folder = Path.GetFullPath(to);
        if (File.Exists(folder))
            return AgentCrmCli.Fail($"--to: {folder} is a file; give an empty or new folder.");
        // Not the data directory, nor a folder in it or in the knowledge directory: a copy there is not apart from what it
        // backs up, and later copies of the directory would carry it along (verify28).
        // Compared with every symbolic link resolved: `--to link/inside` where link names the data directory is inside it.
        var realFolder = AgentCrmCli.RealPath(folder);
        foreach (var (source, what) in new[] { (dataDirectory, "data directory"), (knowledge, "knowledge directory") })
            if (IsSameOrUnder(realFolder, AgentCrmCli.RealPath(source)))
                return AgentCrmCli.Fail($"--to: {folder} is {(PathsEqual(realFolder, AgentCrmCli.RealPath(source)) ? "the" : "inside the")} {what} ({Path.GetFullPath(source)}); give a folder outside it.");
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList() is { Count: > 0 } held)
            return AgentCrmCli.Fail(
                held.Any(h => h!.Contains(PartialSuffix, StringComparison.Ordinal))
                    ? $"--to: {folder} holds an interrupted backup ({string.Join(", ", held.Take(5))}): it is not usable; throw that folder away and give an empty or new one."
                : held.Any(IsBackupFile)
                    ? $"--to: {folder} holds a backup already ({string.Join(", ", held.Take(5))}); give an empty or new folder."
                : $"--to: {folder} is not empty ({string.Join(", ", held.Take(5))}{(held.Count > 5 ? ", …" : "")}); give an empty or new folder.");
        if (!File.Exists(database))
            return AgentCrmCli.Fail($"no agentcrm.db in {dataDirectory}: nothing to back up (give the data directory with --data).");
        // A newer build's directory is refused as the start refuses it, before anything is created: its copy would be checked by
        // rules this build does not know (an audit hash it does not know reads as tampering; qa44a F3).
        SqliteDatabase.CheckFormat(database, [AgentCrmServer.Schema]);
        // agentcrm.db first: a knowledge change made between two copies is then in the catalog's copy without its audit record,
        // which the restored server records again at start (system:recovered), never the other way round.
        List<(string Name, string Path)> sources = [("agentcrm.db", database), .. KnowledgeOptions.FileNames.Select(f => (f, Path.Combine(knowledge, f)))];
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A parent this user cannot write, a read-only or virtual file system (/proc), a file where a folder should be.
            return AgentCrmCli.Fail($"--to: cannot create {folder} ({ex.Message.TrimEnd('.')}); give a folder this user can create, or create it first.");
        }
        // Marks the folder as a backup not finished until every file is copied and checked: a stop between two files (SIGINT or
        // SIGTERM, which wait for the copy in progress, or kill -9) leaves it beside the whole copies made before.
        var marker = Path.Combine(folder, MarkerName);
        try
        {
            using var file = new FileStream(marker, FileMode.CreateNew, FileAccess.Write);
            file.Write("This backup was interrupted or failed before it was complete: throw this folder away and take the backup again.\n"u8);
            file.Flush(flushToDisk: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return AgentCrmCli.Fail($"--to: cannot write into {folder} ({ex.Message.TrimEnd('.')}); give a folder this user can write.");
        }
        var copies = new List<BackupFile>();
        foreach (var (name, source) in sources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (name == KnowledgeOptions.CatalogFileName && (!File.Exists(source) || !SqliteDatabase.HoldsData(source)) && KnowledgeDocumentsIn(Path.Combine(folder, "agentcrm.db")) is > 0 and var documents)
            {
                // The documents' audit records are in the copy but no catalog is where this configuration looks: a restore of this
                // folder is refused at start, as a start on the source is (SqliteDatabase.CheckCompanionsKept, the same test). The
                // files kept apart under a Knowledge:DataDirectory this command did not get, or a catalog lost; only the setting the
                // server needs to start without it lets the backup copy what there is.
                var state = File.Exists(source) ? "is empty (0 bytes)" : "is missing";
                var problem = $"{source} {state}, but {database} records {documents} knowledge document{(documents == 1 ? "" : "s")}";
                if (!AcceptsLostCatalog(parse))
                    return AgentCrmCli.Fail(
                        $"{problem}: if the server keeps its knowledge files elsewhere (its Knowledge:DataDirectory, which this command did not get), run the " +
                        $"backup with its configuration (e.g. Knowledge__DataDirectory=DIR); if the catalog was lost, the server will not start on {dataDirectory} " +
                        $"either, and Storage__AcceptLostCompanions=true backs up what is there. The backup in {folder} is incomplete: throw the folder away.");
                var lost = $"{problem}; copied without it (Storage:AcceptLostCompanions): a restore of this backup starts only with that setting, without those " +
                    "documents — if the server keeps its knowledge files elsewhere (its Knowledge:DataDirectory), they were not lost: back up with its configuration instead";
                copies.Add(new BackupFile(name, source, null, lost));
                Console.Error.WriteLine($"agentcrm: warning: {lost}.");
                continue;
            }
            if (!File.Exists(source))
            {
                // knowledge.db under Knowledge:Provider=Qdrant, or knowledge files never written yet.
                copies.Add(new BackupFile(name, source, null, $"none in {Path.GetDirectoryName(source)}: nothing to copy"));
                continue;
            }
            var target = Path.Combine(folder, name);
            var partial = target + PartialSuffix;
            try
            {
                try
                {
                    // Made empty first (VACUUM INTO takes an empty file): a folder this user cannot write is --to's fault, said so
                    // before the source is opened.
                    File.Create(partial).Dispose();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return AgentCrmCli.Fail($"--to: cannot write into {folder} ({ex.Message.TrimEnd('.')}); give a folder this user can write.");
                }
                try
                {
                    Copy(source, partial);
                }
                catch (Exception ex) when (TargetFailure(ex, partial) is { } failure)
                {
                    return AgentCrmCli.Fail($"--to: {folder} {failure}; the backup there is incomplete: throw the folder away and take it again where there is room.");
                }
                catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
                {
                    // A damaged source, one that cannot be read, a full disk: the file named, and the copies made before it are not a backup.
                    return AgentCrmCli.Fail($"cannot copy {source} ({CopyFailure(ex, source)}); the backup in {folder} is incomplete: throw the folder away and take it again.");
                }
                var (check, problem, records, head) = name == "agentcrm.db" ? CheckAudit(partial) : CheckIntegrity(partial);
                string? sourceBroken = null;
                // A copy whose chain is broken as its source's is (same record, same reason) is faithful: refusing it would
                // refuse every backup of that directory for good, when a copy of the evidence is what is needed most.
                if (problem is not null && name == "agentcrm.db" && BrokenAlike(partial, source) is { } broken)
                    (sourceBroken, check, problem) = (broken, $"copied as it is: the source's audit log fails the same check ({broken})", null);
                if (problem is not null)
                    return AgentCrmCli.Fail($"the copy of {source} fails its check ({problem}); the backup in {folder} is incomplete: throw the folder away and take it again.");
                File.Move(partial, target);
                copies.Add(new BackupFile(name, source, new FileInfo(target).Length, check, records, head, sourceBroken));
                if (sourceBroken is not null)
                    Console.Error.WriteLine($"agentcrm: warning: the backup is complete, but the audit log of {source} fails its check: {sourceBroken.TrimEnd('.')}. The copy holds it as it is; `agentcrm audit verify` reports it (exit 1).");
            }
            finally
            {
                File.Delete(partial);
            }
        }
        File.Delete(marker);
        if (parse.GetValue(AgentCrmCli.Json))
            Console.WriteLine(JsonSerializer.Serialize(new { folder, files = copies }, AgentCrmCli.JsonOutput));
        else
            foreach (var copy in copies)
                Console.WriteLine(copy.Bytes is { } bytes
                    ? $"{Path.Combine(folder, copy.Name)}: {bytes.ToString("N0", System.Globalization.CultureInfo.CurrentCulture)} bytes, {copy.Check}"
                    : $"{copy.Name}: {copy.Check}");
        return 0;
    }

    /// <summary>A backup's own files, whole or left by an interrupted backup: the folder is not to be written into again.</summary>
    private static bool IsBackupFile(string? name) =>
        name is not null && (name.StartsWith("agentcrm.db", StringComparison.Ordinal) || name.StartsWith("knowledge", StringComparison.Ordinal));

    /// <summary>
    /// <c>VACUUM INTO</c> from a read-only connection (nothing is written to the data directory; a running server's log is
    /// read through its -shm), then the copy synced to disk before it is checked and renamed.
    /// </summary>
    private static void Copy(string source, string target)
    {
        try
        {
            VacuumInto(new SqliteConnectionStringBuilder
            {
                DataSource = source,
                Mode = SqliteOpenMode.ReadOnly,
                Pooling = false,
                DefaultTimeout = 30,
            }.ToString(), target);
        }
        catch (SqliteException ex) when (IsNotWritable(ex) && File.Exists(source) && !File.Exists(source + "-wal"))
        {
            // A database in write-ahead-log mode is read through a -shm file beside it, which a read-only folder cannot take. No
            // -wal there: nothing is being written to it (a writer needs one, in that folder too), so it is read as it is on disk,
            // as `audit verify` reads it.
            File.Delete(target);
            VacuumInto($"Data Source={new Uri(source).AbsoluteUri}?immutable=1;Mode=ReadOnly;Pooling=False", target);
        }
        using var file = new FileStream(target, FileMode.Open, FileAccess.ReadWrite);
        file.Flush(flushToDisk: true);
    }

    /// <summary>
    /// SQLITE_READONLY or SQLITE_CANTOPEN: what a read-only connection to a database in write-ahead-log mode answers when the -shm
    /// beside it cannot be made (a read-only folder or mount, another user's folder).
    /// </summary>
    private static bool IsNotWritable(SqliteException ex) => (ex.SqliteErrorCode & 0xFF) is 8 or 14;

    private static void VacuumInto(string connectionString, string target)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var vacuum = connection.CreateCommand();
        vacuum.CommandText = "VACUUM INTO $target";
        vacuum.Parameters.AddWithValue("$target", target);
        vacuum.ExecuteNonQuery();
    }

    /// <summary>
    /// Why the copy could not be written, when that is the backup folder's fault: its disk full (the source is only read, so a
    /// full disk is the copy's), or the copy itself (named in SQLite's message) not writable. Null when the source is at fault.
    /// </summary>
    private static string? TargetFailure(Exception ex, string partial) => ex switch
    {
        SqliteException { SqliteErrorCode: var code } sqlite when (code & 0xFF) is 13 => $"is on a full disk ({sqlite.Message.TrimEnd('.')})",
        IOException { HResult: 28 or unchecked((int)0x80070070) or unchecked((int)0x80070027) } io => $"is on a full disk ({io.Message.TrimEnd('.')})",
        SqliteException sqlite when IsNotWritable(sqlite) && sqlite.Message.Contains(partial, StringComparison.Ordinal) => $"cannot be written ({sqlite.Message.TrimEnd('.')})",
        _ => null,
    };

    /// <summary>Why <paramref name="source"/> could not be copied, in words (SQLite's own message with them).</summary>
    private static string CopyFailure(Exception ex, string source) => ex switch
    {
        SqliteException sqlite when SqliteDatabase.IsDamage(sqlite) =>
            $"it is damaged: {sqlite.Message.TrimEnd('.')}; restore it from an earlier backup",
        SqliteException sqlite when IsNotWritable(sqlite) && File.Exists(source + "-wal") =>
            $"{sqlite.Message.TrimEnd('.')}: its write-ahead log {source}-wal is read through a -shm file SQLite must be able to write beside it, " +
            $"and {Path.GetDirectoryName(source)} does not let it; run the backup as a user who can write there",
        _ => ex.Message.TrimEnd('.'),
    };

    /// <summary>What `audit verify` checks: the copy holds an audit log whose chain is intact.</summary>
    private static (string Check, string? Problem, long? Records, string? Head) CheckAudit(string path)
    {
        var (result, problem) = AuditCommand.Verify(path, []);
        if (result is null)
            return ("", problem, null, null);
        if (!result.Ok)
            return ("", result.Problem, null, null);
        return ($"audit chain intact ({Counted.Of(result.Records, "record", format: "N0")}){(result.Head is { } head ? $", head {head}" : "")}", null, result.Records, result.Head?.ToString());
    }

    /// <summary>
    /// The copy's verification failure when the source, verified the same way after the copy, fails with the same one (a broken
    /// chain, or rows that differ from their records, copied faithfully); null when the source passes or fails otherwise (the
    /// copy is then what is at fault).
    /// </summary>
    private static string? BrokenAlike(string copy, string source)
    {
        var (ofCopy, _) = AuditCommand.Verify(copy, []);
        var (ofSource, _) = AuditCommand.Verify(source, []);
        return ofCopy is { Ok: false } && ofSource is { Ok: false } && ofCopy.BrokenAt == ofSource.BrokenAt && ofCopy.Reason == ofSource.Reason
            ? ofCopy.Problem : null;
    }

    /// <summary>A knowledge file holds no audit log: SQLite's own check of the whole file.</summary>
    private static (string Check, string? Problem, long? Records, string? Head) CheckIntegrity(string path)
    {
        try
        {
            return SqliteDatabase.DamageOf(path) is { } answer ? ("", $"SQLite quick_check: {answer}", null, null) : ("SQLite quick_check ok", null, null, null);
        }
        catch (SqliteException ex)
        {
            return ("", ex.Message.TrimEnd('.'), null, null);
        }
    }

    /// <summary><paramref name="SourceAuditBroken"/>: the source's audit log fails verify as the copy's does (the copy is kept, exit 0).</summary>
    private sealed record BackupFile(string Name, string Source, long? Bytes, string Check, long? AuditRecords = null, string? Head = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SourceAuditBroken = null);

    /// <summary>Storage:AcceptLostCompanions in the configuration this command reads, as the server would.</summary>
    internal static bool AcceptsLostCatalog(ParseResult parse) =>
        CliHost.Configuration(parse).GetSection(StorageOptions.Section).Get<StorageOptions>()?.AcceptLostCompanions ?? false;

    /// <summary>How many knowledge documents the audit log of the database at <paramref name="path"/> (a copy just made) shows kept.</summary>
    private static long KnowledgeDocumentsIn(string path)
    {
        using var connection = new SqliteConnection($"Data Source={new Uri(path).AbsoluteUri}?immutable=1;Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = AgentCrmServer.KnowledgeDocumentsKeptSql;
        return (long)count.ExecuteScalar()!;
    }

    private static bool PathsEqual(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(a), Path.TrimEndingDirectorySeparator(b), StringComparison.Ordinal);

    private static bool IsSameOrUnder(string folder, string directory) =>
        PathsEqual(folder, directory)
        || Path.TrimEndingDirectorySeparator(folder).StartsWith(Path.TrimEndingDirectorySeparator(directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
