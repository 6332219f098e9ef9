using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge.Chat;

/// <summary>Section "Models:Chat": an OpenAI-compatible chat-completions endpoint. Unset Endpoint = no model (template briefs).</summary>
public sealed class ChatModelOptions
{
    public const string Section = "Models:Chat";

    /// <summary>Base URL ending before <c>/chat/completions</c>, e.g. <c>https://api.example.com/v1</c>.</summary>
    public string? Endpoint { get; set; }

    public string Model { get; set; } = "gpt-4o-mini";

    public string? ApiKey { get; set; }

    /// <summary>Per attempt.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    public int MaxRetries { get; set; } = 2;

    /// <summary>How long the circuit stays open after repeated failures (briefs use the template meanwhile).</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    public bool Enabled => !string.IsNullOrWhiteSpace(Endpoint);
}

public sealed class ChatModelOptionsValidator : IValidateOptions<ChatModelOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatModelOptions o)
    {
        var failures = new List<string>();
        if (o.Enabled && (!Uri.TryCreate(o.Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
            failures.Add($"Models:Chat:Endpoint must be an absolute http(s) URL (got '{o.Endpoint}').");
        if (o.Enabled && string.IsNullOrWhiteSpace(o.Model))
            failures.Add("Models:Chat:Model must name the model.");
        if (o.Timeout <= TimeSpan.Zero || o.Timeout > ChatModelOptions.MaxTimeout)
            failures.Add($"Models:Chat:Timeout must be more than 00:00:00 and at most {ChatModelOptions.MaxTimeout:c}.");
        if (o.MaxRetries is < 0 or > 10)
            failures.Add("Models:Chat:MaxRetries must be between 0 and 10.");
        if (o.BreakDuration < TimeSpan.FromSeconds(1))
            failures.Add("Models:Chat:BreakDuration must be at least 1 second.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
