using Microsoft.Extensions.Options;

namespace AgentCrm.Agents.Plugins;

/// <summary>Limits for plugin assemblies (section <c>Plugins</c>).</summary>
public sealed class PluginOptions
{
    public const string Section = "Plugins";
    public static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan MaxCallTimeout = TimeSpan.FromMinutes(5);
    public const long DefaultMaxAssemblyBytes = 16 * 1024 * 1024;
    public const int DefaultMaxHungCalls = 4;

    /// <summary>
    /// Whether <c>POST /v1/agents/plugins</c> takes uploads. True by default, as before the setting: plugins are how an ops
    /// team adds an agent kind without a release. An upload runs its code in the server process (validating a plugin loads
    /// it and calls its constructors and <c>Create</c>), so an ops credential that may upload controls the host; false
    /// refuses every upload with 403, for servers whose agents are all built-in or declarative.
    /// </summary>
    public bool AllowUpload { get; set; } = true;

    /// <summary>How long one <c>Assess</c> call may take before it counts as an error.</summary>
    public TimeSpan CallTimeout { get; set; } = DefaultCallTimeout;

    /// <summary>Largest assembly an upload may carry.</summary>
    public long MaxAssemblyBytes { get; set; } = DefaultMaxAssemblyBytes;

    /// <summary>Calls of one plugin version still running past their time limit before further calls fail at once.</summary>
    public int MaxHungCalls { get; set; } = DefaultMaxHungCalls;
}

public sealed class PluginOptionsValidator : IValidateOptions<PluginOptions>
{
    public ValidateOptionsResult Validate(string? name, PluginOptions o)
    {
        var failures = new List<string>();
        if (o.CallTimeout < TimeSpan.FromMilliseconds(10) || o.CallTimeout > PluginOptions.MaxCallTimeout)
            failures.Add($"Plugins:CallTimeout must be between 00:00:00.010 and 00:05:00 (got {o.CallTimeout}).");
        if (o.MaxAssemblyBytes is < 1024 or > 256L * 1024 * 1024)
            failures.Add($"Plugins:MaxAssemblyBytes must be between 1024 and 268435456 (got {o.MaxAssemblyBytes}).");
        // A hung call keeps its version's place among the plugin threads: past the version's share, further calls could only wait.
        if (o.MaxHungCalls is < 1 or > PluginVersionCalls.MaxInFlight)
            failures.Add($"Plugins:MaxHungCalls must be between 1 and {PluginVersionCalls.MaxInFlight}, a version's share of the plugin threads (got {o.MaxHungCalls}).");
        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
