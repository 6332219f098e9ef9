using Microsoft.Extensions.Options;

namespace AgentCrm.Sandbox;

/// <summary>Section "Sandbox": how large a case set may be, and how many parsed cases stay in memory between uses.</summary>
public sealed class SandboxOptions
{
    public const string Section = "Sandbox";

    public const long DefaultMaxCaseSetBytes = 64L * 1024 * 1024;

    /// <summary>A parsed case costs about 4 KB (a 100,000-row upload held ~410 MB): 50,000 cases keep ~200 MB at most.</summary>
    public const int DefaultParsedCasesKept = 50_000;

    /// <summary>SQLite stores a blob of at most 1,000,000,000 bytes; half a gibibyte leaves room for the mapping.</summary>
    public const long MaxCaseSetBytesLimit = 512L * 1024 * 1024;

    /// <summary>The files of one case set together (the CSV and its mapping, or the events and their labels), over HTTP and in the CLI.</summary>
    public long MaxCaseSetBytes { get; set; } = DefaultMaxCaseSetBytes;

    /// <summary>Cases of stored case sets kept parsed between uses, least recently used dropped first; the shipped sets are always kept.</summary>
    public int ParsedCasesKept { get; set; } = DefaultParsedCasesKept;
}

public sealed class SandboxOptionsValidator : IValidateOptions<SandboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SandboxOptions options)
    {
        var failures = new List<string>();
        if (options.MaxCaseSetBytes is < 1024 or > SandboxOptions.MaxCaseSetBytesLimit)
            failures.Add($"Sandbox:MaxCaseSetBytes must be between 1024 and {SandboxOptions.MaxCaseSetBytesLimit} bytes (got {options.MaxCaseSetBytes}).");
        if (options.ParsedCasesKept < 0)
            failures.Add($"Sandbox:ParsedCasesKept must be 0 or more (got {options.ParsedCasesKept}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
