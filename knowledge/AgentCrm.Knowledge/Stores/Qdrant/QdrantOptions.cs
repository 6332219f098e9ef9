using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge.Stores.Qdrant;

/// <summary>Section "Knowledge:Qdrant": where the Qdrant store talks to (REST, usually port 6333).</summary>
public sealed class QdrantOptions
{
    public const string Section = "Knowledge:Qdrant";
    public const string DefaultCollection = "agentcrm-knowledge";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>REST base URL, e.g. <c>http://localhost:6333</c> (a path prefix behind a proxy is kept).</summary>
    public string? Url { get; set; }

    /// <summary>Sent as the <c>api-key</c> header when set.</summary>
    public string? ApiKey { get; set; }

    public string Collection { get; set; } = DefaultCollection;

    /// <summary>Per attempt; retries come on top.</summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;
}

public sealed class QdrantOptionsValidator : IValidateOptions<QdrantOptions>
{
    // Qdrant rejects names it cannot use as a directory; these are the characters that break a path segment.
    private static readonly char[] ForbiddenCollectionChars = ['/', '\\', ':', '*', '?', '"', '<', '>', '|', '\0'];

    public ValidateOptionsResult Validate(string? name, QdrantOptions o)
    {
        var failures = new List<string>();
        if (!Uri.TryCreate(o.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            failures.Add($"{QdrantOptions.Section}:Url must be an absolute http(s) URL of Qdrant's REST API, e.g. http://localhost:6333 (got '{o.Url}').");
        if (string.IsNullOrWhiteSpace(o.Collection) || o.Collection.Length > 255 || o.Collection.IndexOfAny(ForbiddenCollectionChars) >= 0 || o.Collection.Trim() != o.Collection)
            failures.Add($"{QdrantOptions.Section}:Collection must be 1-255 characters without / \\ : * ? \" < > | or surrounding spaces (got '{o.Collection}').");
        // Sent as a header: HttpClient refuses a non-ASCII value on every request, which would look like Qdrant being down.
        if (o.ApiKey is { } key && (key.Length == 0 || key.Trim() != key || key.Any(c => char.IsControl(c) || !char.IsAscii(c))))
            failures.Add($"{QdrantOptions.Section}:ApiKey must be unset or a non-empty key of ASCII letters, digits and punctuation, without surrounding spaces or control characters.");
        if (o.Timeout <= TimeSpan.Zero || o.Timeout > TimeSpan.FromMinutes(10))
            failures.Add($"{QdrantOptions.Section}:Timeout must be greater than 0 and at most 10 minutes (got {o.Timeout}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
