using Microsoft.Extensions.Options;

namespace AgentCrm.Server;

public enum ActorHostKind
{
    Embedded,
    Dapr,
}

public enum LogFormat
{
    Text,
    Json,
}

/// <summary>Section "Runtime": which actor host runs the actors, and how logs are written.</summary>
public sealed class RuntimeOptions
{
    public const string Section = "Runtime";

    public ActorHostKind Host { get; set; } = ActorHostKind.Embedded;

    public LogFormat LogFormat { get; set; } = LogFormat.Text;
}

public sealed class RuntimeOptionsValidator : IValidateOptions<RuntimeOptions>
{
    public ValidateOptionsResult Validate(string? name, RuntimeOptions options) =>
        Enum.IsDefined(options.Host)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Runtime:Host must be Embedded or Dapr (got {options.Host}).");
}
