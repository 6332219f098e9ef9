using Microsoft.Extensions.Options;

namespace AgentCrm.Storage;

public enum SyncMode
{
    /// <summary>WAL + synchronous=NORMAL: every commit survives a process crash (kill -9), not a power cut.</summary>
    Normal,
    /// <summary>WAL + synchronous=FULL: every commit is fsynced before it is acknowledged.</summary>
    Full,
}

public sealed class StorageOptions
{
    public const string Section = "Storage";
    public const string DefaultDataDirectory = "./data";
    public const int DefaultMaxBatch = 4096;
    public const long DefaultMaxWalBytes = 64L * 1024 * 1024;

    /// <summary>Directory holding agentcrm.db (inbox, actor state, reminders, registry, briefs, audit).</summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory;

    public SyncMode Synchronous { get; set; } = SyncMode.Full;

    /// <summary>Most write operations folded into one group-commit transaction.</summary>
    public int MaxBatch { get; set; } = DefaultMaxBatch;

    /// <summary>
    /// Size the write-ahead log is held to: past it a checkpoint waits for the writer and readers once and restarts the log,
    /// and a log restarted after a burst is truncated back to it.
    /// </summary>
    public long MaxWalBytes { get; set; } = DefaultMaxWalBytes;

    /// <summary>
    /// Start although a companion file the database shows was used is missing or empty (<see cref="SchemaScript.CompanionUses"/>):
    /// for one start, after deciding that what it held is to be given up. Off: such a start is refused.
    /// </summary>
    public bool AcceptLostCompanions { get; set; }

    public string DatabasePath => Path.Combine(Path.GetFullPath(DataDirectory), "agentcrm.db");
}

public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
            failures.Add("Storage:DataDirectory must name a directory (default ./data).");
        else if (FileInTheWay(options.DataDirectory) is ({ } full, { } file))
            failures.Add($"Storage:DataDirectory (--data): {(full == file ? "" : $"cannot create the data directory {full}: ")}{file} is a file, not a directory; "
                + "choose a directory, or a path where one can be created.");
        if (options.MaxBatch is < 1 or > 100_000)
            failures.Add($"Storage:MaxBatch must be between 1 and 100000 (got {options.MaxBatch}).");
        if (options.MaxWalBytes is < 1024 * 1024 or > 64L * 1024 * 1024 * 1024)
            failures.Add($"Storage:MaxWalBytes must be between 1048576 (1 MiB) and 68719476736 (64 GiB) (got {options.MaxWalBytes}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// The data directory (full path) and the file that stands where it, or a folder above it, would be (--data /etc/passwd); null when none
    /// does. Told as that at start, before the directory is created: creating it would fail saying the file "already exists".
    /// </summary>
    public static (string Directory, string File)? FileInTheWay(string directory)
    {
        string full;
        try
        {
            full = Path.GetFullPath(directory);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
        for (var path = full; path is not null; path = Path.GetDirectoryName(path))
        {
            if (File.Exists(path))
                return (full, path);
            if (System.IO.Directory.Exists(path))
                return null;
        }
        return null;
    }
}
