using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AgentCrm.Dapr;

/// <summary>
/// Settings of the Dapr actor host (section "Dapr"). The sidecar address and tokens default to the
/// variables daprd and the Dapr CLI set: DAPR_HTTP_ENDPOINT, DAPR_HTTP_PORT, DAPR_API_TOKEN, APP_API_TOKEN.
/// Idle timeout, scan interval and drain timeout come from section "Actors", as for the embedded host.
/// </summary>
public sealed class DaprOptions
{
    public const string Section = "Dapr";
    public const int DefaultHttpPort = 3500;
    public const string DefaultPubSubName = "pubsub";
    public const string DefaultTopic = "crm-events";
    public const string DefaultDeadLetterTopic = "crm-events-dead";
    public static readonly TimeSpan DefaultSidecarWaitTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultRetryBaseDelay = TimeSpan.FromMilliseconds(200);
    public const int DefaultMaxRetries = 4;
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>daprd's default request-body limit (4 MiB; its flag <c>--max-body-size</c>).</summary>
    public const long DefaultMaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>daprd's HTTP API, e.g. http://127.0.0.1:3500 (default: DAPR_HTTP_ENDPOINT, else http://127.0.0.1:$DAPR_HTTP_PORT, else port 3500).</summary>
    public string? HttpEndpoint { get; set; }

    /// <summary>Sent as dapr-api-token on every call to daprd (default: DAPR_API_TOKEN).</summary>
    public string? ApiToken { get; set; }

    /// <summary>daprd's calls to this app must carry it as dapr-api-token (default: APP_API_TOKEN); unset = not checked.</summary>
    public string? AppApiToken { get; set; }

    /// <summary>The pub/sub component accepted events are published to.</summary>
    public string PubSubName { get; set; } = DefaultPubSubName;

    public string Topic { get; set; } = DefaultTopic;

    /// <summary>Where daprd moves an event whose delivery kept failing (declared in the subscription).</summary>
    public string DeadLetterTopic { get; set; } = DefaultDeadLetterTopic;

    /// <summary>How long the first call to daprd waits for the sidecar's outbound health before failing.</summary>
    public TimeSpan SidecarWaitTimeout { get; set; } = DefaultSidecarWaitTimeout;

    /// <summary>Retries of a call to daprd that failed transiently (connection refused, 408, 429, 502, 503, 504, the actor not placed yet).</summary>
    public int MaxRetries { get; set; } = DefaultMaxRetries;

    public TimeSpan RetryBaseDelay { get; set; } = DefaultRetryBaseDelay;

    /// <summary>
    /// How long one call to daprd may take, its retries included: a call daprd has not answered by then fails and is not
    /// retried (an actor method may still be running in daprd; calling it again would run its turn again).
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>
    /// The largest request body daprd takes (its <c>--max-body-size</c>, 4 MiB unless raised). Intake refuses an event whose
    /// CloudEvent would be larger: daprd would refuse to publish it. Set it to the value daprd runs with.
    /// </summary>
    public long MaxBodyBytes { get; set; } = DefaultMaxBodyBytes;

    internal Uri Endpoint => new(HttpEndpoint!.EndsWith('/') ? HttpEndpoint : HttpEndpoint + "/");
}

/// <summary>Fills unset settings from the variables daprd and the Dapr CLI set for the app.</summary>
internal sealed class DaprOptionsSetup(IConfiguration configuration) : IPostConfigureOptions<DaprOptions>
{
    public void PostConfigure(string? name, DaprOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.HttpEndpoint))
        {
            var endpoint = configuration["DAPR_HTTP_ENDPOINT"];
            var port = configuration["DAPR_HTTP_PORT"];
            options.HttpEndpoint = !string.IsNullOrWhiteSpace(endpoint) ? endpoint
                : $"http://127.0.0.1:{(string.IsNullOrWhiteSpace(port) ? DaprOptions.DefaultHttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture) : port.Trim())}";
        }
        if (string.IsNullOrEmpty(options.ApiToken))
            options.ApiToken = NullIfEmpty(configuration["DAPR_API_TOKEN"]);
        if (string.IsNullOrEmpty(options.AppApiToken))
            options.AppApiToken = NullIfEmpty(configuration["APP_API_TOKEN"]);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

public sealed class DaprOptionsValidator : IValidateOptions<DaprOptions>
{
    public ValidateOptionsResult Validate(string? name, DaprOptions options)
    {
        var failures = new List<string>();
        if (!Uri.TryCreate(options.HttpEndpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            failures.Add($"Dapr:HttpEndpoint must be an absolute http(s) URL of daprd's HTTP API (got '{options.HttpEndpoint}'; or set DAPR_HTTP_PORT).");
        foreach (var (key, value) in new[] { ("PubSubName", options.PubSubName), ("Topic", options.Topic), ("DeadLetterTopic", options.DeadLetterTopic) })
            if (string.IsNullOrWhiteSpace(value) || value.IndexOfAny(['/', '?', '#']) >= 0)
                failures.Add($"Dapr:{key} must be a non-empty name without '/', '?' or '#' (got '{value}').");
        if (options.SidecarWaitTimeout <= TimeSpan.Zero)
            failures.Add($"Dapr:SidecarWaitTimeout must be positive (got {options.SidecarWaitTimeout}, default {DaprOptions.DefaultSidecarWaitTimeout}).");
        if (options.MaxRetries is < 0 or > 20)
            failures.Add($"Dapr:MaxRetries must be between 0 and 20 (got {options.MaxRetries}, default {DaprOptions.DefaultMaxRetries}).");
        if (options.RequestTimeout <= TimeSpan.Zero || options.RequestTimeout > TimeSpan.FromHours(1))
            failures.Add($"Dapr:RequestTimeout must be positive and at most 01:00:00 (got {options.RequestTimeout}, default {DaprOptions.DefaultRequestTimeout}).");
        if (options.RetryBaseDelay <= TimeSpan.Zero)
            failures.Add($"Dapr:RetryBaseDelay must be positive (got {options.RetryBaseDelay}, default {DaprOptions.DefaultRetryBaseDelay}).");
        // Sent and compared as the dapr-api-token header, which carries ASCII only: a token with a letter such as 'é' failed
        // every call to daprd as "not ready" and every call from it as 401 (qa45c L1). The value is a secret: not echoed.
        if (!IsHeaderToken(options.ApiToken))
            failures.Add("Dapr:ApiToken (or DAPR_API_TOKEN) must be printable ASCII without surrounding spaces: it is sent to daprd as the dapr-api-token header, which takes nothing else. Set the same token for daprd and the app.");
        if (!IsHeaderToken(options.AppApiToken))
            failures.Add("Dapr:AppApiToken (or APP_API_TOKEN) must be printable ASCII without surrounding spaces: daprd sends it as the dapr-api-token header, which takes nothing else. Set the same token for daprd and the app.");
        if (options.MaxBodyBytes is < 64 * 1024 or > 1L << 30)
            failures.Add($"Dapr:MaxBodyBytes must be between 65536 and 1073741824, the request-body limit daprd runs with (--max-body-size; got {options.MaxBodyBytes}, default {DaprOptions.DefaultMaxBodyBytes}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Unset, or characters from ' ' to '~' with none at either end (a header value's surrounding spaces are dropped).</summary>
    private static bool IsHeaderToken(string? token) =>
        token is null || (token.Length > 0 && token.All(c => c is >= ' ' and <= '~') && token[0] != ' ' && token[^1] != ' ');
}
