using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge.Embeddings;

/// <summary>Section "Knowledge:Embeddings": an OpenAI-compatible <c>/embeddings</c> endpoint instead of the local embedder.</summary>
public sealed class HttpEmbeddingOptions
{
    public const string Section = "Knowledge:Embeddings";

    /// <summary>Base URL ending before <c>/embeddings</c>, e.g. <c>https://api.example.com/v1</c>. Unset = the local embedder.</summary>
    public string? Endpoint { get; set; }

    public string Model { get; set; } = "text-embedding-3-small";

    public string? ApiKey { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public int MaxRetries { get; set; } = 3;

    public bool Enabled => !string.IsNullOrWhiteSpace(Endpoint);
}

public sealed class HttpEmbeddingOptionsValidator : IValidateOptions<HttpEmbeddingOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpEmbeddingOptions o)
    {
        var failures = new List<string>();
        if (o.Enabled && (!Uri.TryCreate(o.Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
            failures.Add($"Knowledge:Embeddings:Endpoint must be an absolute http(s) URL (got '{o.Endpoint}').");
        if (o.Enabled && string.IsNullOrWhiteSpace(o.Model))
            failures.Add("Knowledge:Embeddings:Model must name the embedding model.");
        if (o.Timeout <= TimeSpan.Zero)
            failures.Add("Knowledge:Embeddings:Timeout must be positive.");
        if (o.MaxRetries is < 0 or > 10)
            failures.Add("Knowledge:Embeddings:MaxRetries must be between 0 and 10.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
