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

    /// <summary>Directory holding agentcrm.db (inbox, actor state, reminders, registry, briefs, audit).</summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory;

    public SyncMode Synchronous { get; set; } = SyncMode.Full;

    /// <summary>Most write operations folded into one group-commit transaction.</summary>
    public int MaxBatch { get; set; } = DefaultMaxBatch;

    public string DatabasePath => Path.Combine(Path.GetFullPath(DataDirectory), "agentcrm.db");
}

public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
            failures.Add("Storage:DataDirectory must name a directory (default ./data).");
        if (options.MaxBatch is < 1 or > 100_000)
            failures.Add($"Storage:MaxBatch must be between 1 and 100000 (got {options.MaxBatch}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
