using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace AgentCrm.Storage;

/// <summary>Tables another part of the application adds to the same file; applied when the database opens.</summary>
public sealed record SchemaScript(string Name, string Sql)
{
    /// <summary>
    /// The data format these tables are at. The file is stamped with the highest of its scripts' (<c>PRAGMA user_version</c>,
    /// which any SQLite tool reads) when it opens, and a file stamped higher — written by a newer build — is refused. 0: no claim.
    /// </summary>
    public int FormatVersion { get; init; }

    /// <summary>
    /// Other SQLite files the application keeps in the same directory (file names), which exist only once this database has
    /// been used: a newer format in them is refused too, and their content beside an empty or missing database means the
    /// database was lost, not that the directory is new.
    /// </summary>
    public IReadOnlyList<string> CompanionFiles { get; init; } = [];

    /// <summary>
    /// Columns these tables gained after a build had created them: added (<c>ALTER TABLE … ADD COLUMN</c>) to an existing
    /// table that lacks one, before the script runs and in its transaction (<c>CREATE TABLE IF NOT EXISTS</c> leaves an
    /// existing table as it is).
    /// </summary>
    public IReadOnlyList<AddedColumn> AddedColumns { get; init; } = [];

    /// <summary>
    /// Companion files this database shows must hold data: a missing or empty one beside a database that says so was lost
    /// (a restore that forgot it, a deletion), not new, and the start is refused (unless <see cref="StorageOptions.AcceptLostCompanions"/>).
    /// </summary>
    public IReadOnlyList<CompanionUse> CompanionUses { get; init; } = [];
}

/// <summary>
/// A companion file (a name in the database's directory, or a full path where it is kept elsewhere) and a query over this
/// database counting what it must hold (0: it may be empty), told as <paramref name="What"/> ("{count} {What}").
/// </summary>
public sealed record CompanionUse(string File, string CountSql, string What);

/// <summary>A column <see cref="SchemaScript.AddedColumns"/> adds: its table, name, and definition after the name.</summary>
public sealed record AddedColumn(string Table, string Name, string Definition);

/// <summary>
/// The one SQLite file of an embedded deployment: opens connections with the right pragmas and owns the schema.
/// Opening it checks the file first — a newer data format, or an empty database beside files showing the directory was
/// used, is refused before anything is written — then applies every schema script and the format stamp in one transaction.
/// </summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;
    private readonly SyncMode _sync;
    private readonly DataFiles _files;

    /// <summary>The database files the latest <see cref="SqliteDatabase"/> of this process opens, for <see cref="DescribeFailure(SqliteException)"/>.</summary>
    private static volatile DataFiles? s_lastOpened;

    public SqliteDatabase(IOptions<StorageOptions> options, IEnumerable<SchemaScript>? scripts = null, SchemaUpkeep? upkeep = null)
    {
        var o = options.Value;
        var all = (scripts ?? []).ToList();
        FilePath = o.DatabasePath;
        var directory = Path.GetDirectoryName(FilePath)!;
        FormatVersion = FormatOf(all);
        var files = DataFiles.Of(FilePath, all);
        s_lastOpened = files;
        _files = files;
        _sync = o.Synchronous;
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = o.DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        };
        // Only the first open below may create the file: a connection opened later (a read, the pool replacing one) on a file
        // deleted under the server would create an empty one there, answer "no such table", and hide the deletion from the
        // writer's check. Without create, it fails as storage that cannot be opened.
        var createString = connectionString.ToString();
        connectionString.Mode = SqliteOpenMode.ReadWrite;
        _connectionString = connectionString.ToString();
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DatabaseFileException($"cannot create the data directory {directory}: {ex.Message.TrimEnd().TrimEnd('.')}. Create it, writable by the user running agentcrm, or choose another --data.");
        }
        try
        {
            var used = CheckBeforeWriting(files, FormatVersion, OpenUnpooled);
            if (used && !o.AcceptLostCompanions)
                CheckCompanionsKept(FilePath, all.SelectMany(s => s.CompanionUses), OpenUnpooled);
            using var connection = Open(createString);
            using (var wal = connection.CreateCommand())
            {
                // Set only when it is not: setting it takes the write lock, which another process may hold for a while.
                wal.CommandText = "PRAGMA journal_mode;";
                if (!string.Equals(wal.ExecuteScalar() as string, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    wal.CommandText = "PRAGMA journal_mode=WAL;";
                    wal.ExecuteNonQuery();
                }
            }
            // A CLI verb on a database this build already brought up to date changes nothing in it: read, not written, so a verb
            // that only reads answers while another process holds the write lock (WAL readers take none).
            if (used && upkeep is { EveryOpen: false } && IsCurrent(connection, all))
            {
                foreach (var companion in files.Paths.Skip(1))
                    StampCompanion(companion);
                return;
            }
            // One transaction: a start interrupted halfway leaves the file as it was, unstamped, and the next start does it all.
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "PRAGMA user_version;";
            var stamped = Convert.ToInt32(command.ExecuteScalar());
            if (stamped > FormatVersion)
                throw new DatabaseFileException(NewerFormat(FilePath, stamped, FormatVersion));
            foreach (var column in all.SelectMany(s => s.AddedColumns))
                AddIfMissing(command, column);
            command.CommandText = Schema.Sql + string.Concat(all.Select(s => s.Sql)) + (stamped < FormatVersion ? $"PRAGMA user_version = {FormatVersion};" : "");
            command.ExecuteNonQuery();
            transaction.Commit();
            foreach (var companion in files.Paths.Skip(1))
                StampCompanion(companion);
        }
        catch (SqliteException ex)
        {
            throw new DatabaseFileException(Describe(ex, files));
        }
    }

    /// <summary>How long a connection waits for a lock before SQLITE_BUSY.</summary>
    public const int BusyTimeoutMs = 30_000;

    public string FilePath { get; }

    /// <summary>The data format this build writes (<c>PRAGMA user_version</c> of the file once it has opened); 0 when no script claims one.</summary>
    public int FormatVersion { get; }

    public SqliteConnection Open() => Open(_connectionString);

    private SqliteConnection Open(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA synchronous={(_sync == SyncMode.Full ? "FULL" : "NORMAL")}; PRAGMA foreign_keys=ON; PRAGMA busy_timeout={BusyTimeoutMs}; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;";
        command.ExecuteNonQuery();
        return connection;
    }

    /// <summary>
    /// What a start refuses before it writes (<see cref="CheckBeforeWriting"/>), checked without writing anything, not even
    /// beside the files (<see cref="OpenReadOnly"/>): `audit verify` and `backup` refuse such a directory as the start and the
    /// other verbs do. Throws <see cref="DatabaseFileException"/> in the start's words. A file SQLite cannot read here (damaged,
    /// or not readable by this user) is left to what reads it next (the backup's copy, verify's chain), which names it in its
    /// own words, after a `--to` at fault.
    /// </summary>
    internal static void CheckFormat(string databasePath, IReadOnlyList<SchemaScript> scripts)
    {
        try
        {
            CheckBeforeWriting(DataFiles.Of(databasePath, scripts), FormatOf(scripts), OpenReadOnly);
        }
        catch (SqliteException)
        {
            // Left to what reads the file next.
        }
    }

    /// <summary>
    /// A data directory or a copy checked as a start on it would check it, writing nothing: SQLite's quick_check of every file
    /// first (which the start runs only once a failure shows damage: it reads each file whole), then <see cref="CheckFormat"/>'s
    /// checks and a companion lost although the database shows it was used (<see cref="CheckCompanionsKept"/>, unless
    /// <paramref name="acceptLostCompanions"/>, as at start). What `audit verify` checks before the chain: a copy it passes starts.
    /// </summary>
    /// <returns>The first file SQLite finds damaged, with its answer; null when each is whole.</returns>
    /// <exception cref="DatabaseFileException">What else a start refuses, in its words.</exception>
    internal static (string Path, string Problem)? Inspect(string databasePath, IReadOnlyList<SchemaScript> scripts, bool acceptLostCompanions)
    {
        var files = DataFiles.Of(databasePath, scripts);
        foreach (var path in files.Paths.Where(File.Exists))
            if (DamageOf(path) is { } problem)
                return (path, problem);
        try
        {
            if (CheckBeforeWriting(files, FormatOf(scripts), OpenReadOnly) && !acceptLostCompanions)
                CheckCompanionsKept(databasePath, scripts.SelectMany(s => s.CompanionUses), OpenReadOnly);
        }
        catch (SqliteException ex)
        {
            throw new DatabaseFileException(Describe(ex, files));
        }
        return null;
    }

    /// <summary>
    /// Reads only: refuses a file (or a companion) of a newer format, and an empty or missing database whose directory
    /// shows it was used (a companion holds data) — a truncated or deleted file would otherwise start as a fresh install.
    /// </summary>
    /// <returns>Whether the database holds tables (a used directory).</returns>
    private static bool CheckBeforeWriting(DataFiles files, int formatVersion, Func<string, SqliteConnection> open)
    {
        var database = files.Paths[0];
        foreach (var companion in files.Paths.Skip(1).Where(HoldsData))
        {
            var version = Read(open, companion, "PRAGMA user_version;");
            if (version > formatVersion)
                throw new DatabaseFileException(NewerFormat(companion, version, formatVersion));
        }
        long tables = 0;
        if (File.Exists(database))
        {
            var version = Read(open, database, "PRAGMA user_version;");
            if (version > formatVersion)
                throw new DatabaseFileException(NewerFormat(database, version, formatVersion));
            tables = Read(open, database, "SELECT count(*) FROM sqlite_master WHERE type = 'table';");
        }
        if (tables > 0)
            return true;
        var used = files.Paths.Skip(1).Where(HoldsData).Select(Path.GetFileName).ToList();
        if (used.Count == 0)
            return false; // a new directory (or only this file, never written): initialised below
        var state = !File.Exists(database) ? "is missing" : new FileInfo(database).Length == 0 ? "is empty (0 bytes)" : "holds no tables";
        throw new DatabaseFileException(
            $"{database} {state}, but {string.Join(" and ", used)} beside it hold data: the database was lost or truncated, not new, and starting would begin a fresh one " +
            "(built-in agents registered again, every API key unknown). Restore the data directory from a backup, or move the directory away to start afresh.");
    }

    /// <summary>
    /// Refuses a used database whose companion is missing or empty although the database shows it held something: a start
    /// would begin it afresh (a knowledge catalog: the bundled documents ingested again, ops' own documents gone and audited
    /// as deleted by <c>system:recovered</c>), the mirror of an empty database beside companions that hold data.
    /// </summary>
    private static void CheckCompanionsKept(string database, IEnumerable<CompanionUse> uses, Func<string, SqliteConnection> open)
    {
        foreach (var use in uses)
        {
            var path = Path.Combine(Path.GetDirectoryName(database)!, use.File);
            if (HoldsData(path))
                continue;
            long count;
            try
            {
                count = Read(open, database, use.CountSql);
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode == 1)
            {
                continue; // a table the query reads is not there yet (a build before it): nothing to show
            }
            if (count == 0)
                continue;
            var state = File.Exists(path) ? "is empty (0 bytes)" : "is missing";
            throw new DatabaseFileException(
                $"{path} {state}, but {database} records {count} {use.What}: the file was lost (a restore without it, a deletion), not new, " +
                "and starting would begin it afresh. Restore the data directory from a backup (all its files, taken together), or, to give up what it held, " +
                "start once with the setting Storage:AcceptLostCompanions=true (environment: Storage__AcceptLostCompanions=true).");
        }
    }

    /// <summary>
    /// Stamps the companion files that hold data with this build's format: those a start created after the database opened
    /// (the knowledge files of a new directory) were otherwise unstamped until the next start.
    /// </summary>
    public void StampCompanions()
    {
        try
        {
            foreach (var companion in _files.Paths.Skip(1))
                StampCompanion(companion);
        }
        catch (SqliteException ex)
        {
            throw new DatabaseFileException(Describe(ex, _files));
        }
    }

    /// <summary>One number from <paramref name="path"/>, on a connection of its own (<paramref name="open"/>: not pooled) closed afterwards.</summary>
    private static long Read(Func<string, SqliteConnection> open, string path, string sql)
    {
        using var connection = open(path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }

    /// <summary>A connection to <paramref name="path"/> of its own, closed (not pooled) when disposed, waiting for locks as ours do.</summary>
    private static SqliteConnection OpenUnpooled(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA busy_timeout={BusyTimeoutMs};";
        command.ExecuteNonQuery();
        return connection;
    }

    /// <summary>
    /// Whether the database holds what the scripts would make (stamped with this build's format, every column added, every
    /// table, index and trigger they create there and none they drop): then running them again would only repeat their upkeep.
    /// </summary>
    private bool IsCurrent(SqliteConnection connection, IReadOnlyList<SchemaScript> scripts)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        if (Convert.ToInt32(command.ExecuteScalar()) != FormatVersion)
            return false;
        command.CommandText = "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%';";
        var present = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                present.Add(reader.GetString(0));
        }
        // Without its comments, which may name objects too. A script that drops an object to create it anew (a changed trigger)
        // is never current here: it runs at every open, as before.
        var sql = SchemaObjects.Comment().Replace(Schema.Sql + string.Concat(scripts.Select(s => s.Sql)), "");
        if (SchemaObjects.Created().Matches(sql).Any(m => !present.Contains(m.Groups["name"].Value))
            || SchemaObjects.Dropped().Matches(sql).Any(m => present.Contains(m.Groups["name"].Value)))
            return false;
        foreach (var column in scripts.SelectMany(s => s.AddedColumns))
        {
            command.CommandText = "SELECT count(*) FROM pragma_table_info($t) WHERE name = $c;";
            command.Parameters.AddWithValue("$t", column.Table);
            command.Parameters.AddWithValue("$c", column.Name);
            var found = Convert.ToInt64(command.ExecuteScalar()) == 1;
            command.Parameters.Clear();
            if (!found)
                return false;
        }
        return true;
    }

    /// <summary>Adds <paramref name="column"/> to its table when the table exists without it.</summary>
    private static void AddIfMissing(SqliteCommand command, AddedColumn column)
    {
        command.CommandText = "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $t) = 1 AND NOT EXISTS (SELECT 1 FROM pragma_table_info($t) WHERE name = $c);";
        command.Parameters.AddWithValue("$t", column.Table);
        command.Parameters.AddWithValue("$c", column.Name);
        var missing = Convert.ToInt64(command.ExecuteScalar()) == 1;
        command.Parameters.Clear();
        if (!missing)
            return;
        command.CommandText = $"ALTER TABLE {column.Table} ADD COLUMN {column.Name} {column.Definition};";
        command.ExecuteNonQuery();
    }

    /// <summary>A companion holding data gets this build's format stamp too (a write only when it changes).</summary>
    private void StampCompanion(string path)
    {
        if (FormatVersion == 0 || !HoldsData(path) || Read(OpenUnpooled, path, "PRAGMA user_version;") >= FormatVersion)
            return;
        using var connection = OpenUnpooled(path);
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA user_version = {FormatVersion};";
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// The file or its write-ahead log has content (a database in WAL mode may keep everything in the log until a checkpoint):
    /// what a start takes for a companion file kept, and `agentcrm backup` the same.
    /// </summary>
    internal static bool HoldsData(string path) =>
        (File.Exists(path) ? new FileInfo(path).Length : 0) + (File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0) > 0;

    private static string NewerFormat(string path, long version, int formatVersion) =>
        $"{path} is in data format {version}, newer than this build's ({formatVersion}): a newer agentcrm wrote it, and this build would damage it. " +
        "Run that build (or a newer one), or restore the backup taken before the upgrade; nothing was changed.";

    /// <summary>
    /// A SQLite failure told in one line naming the file and the cause in plain words, for the latest database this process
    /// opened (its directory and companion files); the exception's own text when none was opened.
    /// </summary>
    public static string DescribeFailure(SqliteException ex) =>
        s_lastOpened is { } files ? Describe(ex, files) : ex.Message;

    private static string Describe(SqliteException ex, DataFiles files)
    {
        var sqlite = ex.Message.TrimEnd('.');
        var directory = files.Directory;
        switch (ex.SqliteErrorCode & 0xFF)
        {
            case 11 or 26: // SQLITE_CORRUPT, SQLITE_NOTADB
                var damaged = files.Paths.Where(Damaged).ToList();
                var which = damaged.Count > 0 ? string.Join(" and ", damaged) + (damaged.Count > 1 ? " are" : " is") : $"a database file in {directory} is";
                return $"{which} damaged ({sqlite}): restore the data directory from a backup (README: Upgrades, backups and restores).";
            case 8 or 14: // SQLITE_READONLY, SQLITE_CANTOPEN
                if (!DirectoryWritable(directory))
                    return $"cannot write in the data directory {directory} ({sqlite}): it is missing or read-only for this user; make it writable by the user running agentcrm (SQLite creates -wal and -shm files beside each database), or choose another --data.";
                var readOnly = files.Paths.SelectMany(p => new[] { p, p + "-wal", p + "-shm" }).Where(p => File.Exists(p) && !FileWritable(p)).ToList();
                return readOnly.Count > 0
                    ? $"{string.Join(" and ", readOnly)} {(readOnly.Count > 1 ? "are" : "is")} read-only for this user ({sqlite}): make the data directory's files writable by the user running agentcrm."
                    : $"cannot open or write the database files in {directory} ({sqlite}): check that the directory and its files are writable by the user running agentcrm and that the file system is not mounted read-only.";
            // SQLITE_FULL; SQLITE_IOERR_SHMSIZE is how a full disk fails the opening of a database whose -shm is not there
            // yet (after a clean stop): SQLite could not grow that file, so nothing — not even a read — can run.
            case 13:
            case 10 when ex.SqliteExtendedErrorCode == SqliteIoErrShmSize:
                return $"the disk holding {directory} is full ({sqlite}): free space, then start again.";
            case 10: // SQLITE_IOERR
                return $"an I/O error on the data directory {directory} ({sqlite}): check the disk and the file system.";
            case 5 or 6: // SQLITE_BUSY, SQLITE_LOCKED
                return $"a database file in {directory} stayed locked by another process ({sqlite}).";
            default:
                return $"the database in {directory} failed ({sqlite}).";
        }
    }

    private const int SqliteIoErrShmSize = 10 | (19 << 8);

    /// <summary>SQLITE_CORRUPT or SQLITE_NOTADB: the file is damaged, or not a database (a copy cut short).</summary>
    internal static bool IsDamage(SqliteException ex) => (ex.SqliteErrorCode & 0xFF) is 11 or 26;

    /// <summary>Whether SQLite finds <paramref name="path"/> damaged: not a database, or its quick check fails. Only on a failure's path: it reads the whole file.</summary>
    private static bool Damaged(string path)
    {
        if (!File.Exists(path))
            return false;
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            return QuickCheck(connection) is not null;
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    /// <summary>
    /// SQLite's first complaint about the whole file at <paramref name="path"/>, read through <see cref="OpenReadOnly"/>: not a
    /// database, or what its quick check finds; null when it has none. Other failures (a file this user cannot read) are thrown.
    /// </summary>
    internal static string? DamageOf(string path)
    {
        try
        {
            using var connection = OpenReadOnly(path);
            return QuickCheck(connection);
        }
        catch (SqliteException ex) when (IsDamage(ex))
        {
            return ex.Message.TrimEnd('.');
        }
    }

    /// <summary>SQLite's first complaint about the whole file (<c>PRAGMA quick_check</c>), or null when it has none.</summary>
    private static string? QuickCheck(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA quick_check(1);";
        var answer = command.ExecuteScalar() as string;
        return answer == "ok" ? null : answer ?? "no answer";
    }

    private static bool DirectoryWritable(string directory)
    {
        try
        {
            using var probe = new FileStream(Path.Combine(directory, $".agentcrm-write-probe-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool FileWritable(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The data format a database of these scripts is at: the highest they claim.</summary>
    private static int FormatOf(IReadOnlyList<SchemaScript> scripts) => scripts.Count == 0 ? 0 : scripts.Max(s => s.FormatVersion);

    /// <summary>
    /// A connection that reads <paramref name="path"/> and writes nothing, not even beside it (what `audit verify` and `backup`
    /// check a directory or a copy through). A file with a write-ahead log beside it is in use (a running server) or was left by
    /// one: read through SQLite's read-only mode, which takes in the log. Without one (a backup, a stopped server's file) it is
    /// read as immutable: nothing is written beside it (no -shm), and a read-only folder or file (an auditor's account, a
    /// read-only mount) reads as well.
    /// </summary>
    internal static SqliteConnection OpenReadOnly(string path)
    {
        var connection = new SqliteConnection(File.Exists(path + "-wal")
            ? new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()
            : $"Data Source={new Uri(path).AbsoluteUri}?immutable=1;Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }

    /// <summary>A directory and its database files, the main one first.</summary>
    private sealed record DataFiles(string Directory, IReadOnlyList<string> Paths)
    {
        /// <summary>The database at <paramref name="databasePath"/> and the companion files its scripts name, beside it.</summary>
        public static DataFiles Of(string databasePath, IEnumerable<SchemaScript> scripts)
        {
            var directory = Path.GetDirectoryName(databasePath)!;
            return new(directory, [databasePath, .. scripts.SelectMany(s => s.CompanionFiles).Distinct().Select(f => Path.Combine(directory, f))]);
        }
    }
}

/// <summary>A database file that cannot be used as it is (a newer format, lost, damaged, not writable): a user's problem, told in one line naming the file.</summary>
public sealed class DatabaseFileException(string message) : InvalidOperationException(message);

/// <summary>
/// How an open treats a database whose schema is current (<see cref="SqliteDatabase"/>): <see cref="EveryOpen"/> runs the
/// schema scripts all the same, for the upkeep they do at every start (the server: rows an older build wrote); without it
/// (the CLI) such a database is only read, so a verb that writes nothing needs no write lock. Not registered: every open.
/// </summary>
public sealed record SchemaUpkeep(bool EveryOpen);

/// <summary>The objects a schema script creates (<c>CREATE … IF NOT EXISTS name</c>) and drops (<c>DROP … IF EXISTS name</c>).</summary>
internal static partial class SchemaObjects
{
    [System.Text.RegularExpressions.GeneratedRegex(@"\bCREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX|TRIGGER|VIEW)\s+IF\s+NOT\s+EXISTS\s+(?<name>\w+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    public static partial System.Text.RegularExpressions.Regex Created();

    [System.Text.RegularExpressions.GeneratedRegex(@"\bDROP\s+(?:TABLE|INDEX|TRIGGER|VIEW)\s+IF\s+EXISTS\s+(?<name>\w+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    public static partial System.Text.RegularExpressions.Regex Dropped();

    [System.Text.RegularExpressions.GeneratedRegex(@"--[^\n]*")]
    public static partial System.Text.RegularExpressions.Regex Comment();
}
