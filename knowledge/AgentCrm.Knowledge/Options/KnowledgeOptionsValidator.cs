using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge.Options;

/// <summary>Reports every invalid "Knowledge" setting at start, naming the exact key to fix.</summary>
public sealed class KnowledgeOptionsValidator : IValidateOptions<KnowledgeOptions>
{
    public ValidateOptionsResult Validate(string? name, KnowledgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        const string Prefix = KnowledgeOptions.SectionName + ":";
        if (!Enum.IsDefined(options.Provider))
        {
            failures.Add($"{Prefix}Provider must be Embedded or Qdrant.");
        }

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add($"{Prefix}DataDirectory must be set (default '{KnowledgeOptions.DefaultDataDirectory}').");
        }

        if (options.Dimension is < 8 or > 8192)
        {
            failures.Add($"{Prefix}Dimension must be between 8 and 8192 (got {options.Dimension}).");
        }

        if (options.ChunkSize < 100)
        {
            failures.Add($"{Prefix}ChunkSize must be at least 100 characters (got {options.ChunkSize}).");
        }

        if (options.ChunkMaxSize < options.ChunkSize)
        {
            failures.Add($"{Prefix}ChunkMaxSize must be at least {Prefix}ChunkSize (got {options.ChunkMaxSize} < {options.ChunkSize}).");
        }

        if (options.ChunkOverlap < 0 || options.ChunkOverlap * 2 > options.ChunkSize)
        {
            failures.Add($"{Prefix}ChunkOverlap must be between 0 and half of {Prefix}ChunkSize (got {options.ChunkOverlap}).");
        }

        if (options.MaxDocumentBytes <= 0)
        {
            failures.Add($"{Prefix}MaxDocumentBytes must be positive (got {options.MaxDocumentBytes}).");
        }

        if (options.MinScore is < -1 or > 1)
        {
            failures.Add($"{Prefix}MinScore must be a cosine similarity between -1 and 1 (got {options.MinScore}).");
        }

        if (options.IngestParallelism is < 1 or > 256)
        {
            failures.Add($"{Prefix}IngestParallelism must be between 1 and 256 threads (got {options.IngestParallelism}).");
        }

        // Knowledge:Qdrant:* is validated by the Qdrant store's own options (QdrantOptionsValidator) when it is registered.
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
