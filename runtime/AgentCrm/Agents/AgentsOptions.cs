using Microsoft.Extensions.Options;

namespace AgentCrm.Agents;

/// <summary>Section "Agents": limits on registering agent versions over HTTP.</summary>
public sealed class AgentsOptions
{
    public const string Section = "Agents";
    public const long DefaultMaxManifestBytes = 8L * 1024 * 1024;
    public const long MinManifestBytes = 1024;
    public const long MaxManifestBytesLimit = 256L * 1024 * 1024;

    /// <summary>Largest POST /v1/agents body (fitted text models make manifests of several MB).</summary>
    public long MaxManifestBytes { get; set; } = DefaultMaxManifestBytes;
}

public sealed class AgentsOptionsValidator : IValidateOptions<AgentsOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentsOptions o) =>
        o.MaxManifestBytes is < AgentsOptions.MinManifestBytes or > AgentsOptions.MaxManifestBytesLimit
            ? ValidateOptionsResult.Fail($"Agents:MaxManifestBytes must be between {AgentsOptions.MinManifestBytes} (1 KiB) and {AgentsOptions.MaxManifestBytesLimit} (256 MiB) (got {o.MaxManifestBytes}).")
            : ValidateOptionsResult.Success;
}
