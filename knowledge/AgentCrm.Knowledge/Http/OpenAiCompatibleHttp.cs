using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Polly;
using Polly.Timeout;

namespace AgentCrm.Knowledge.Http;

/// <summary>What the OpenAI-compatible clients (chat, embeddings) share: the transient-failure rule and one JSON POST through a pipeline.</summary>
internal static class OpenAiCompatibleHttp
{
    /// <summary>Transient: 408, 429, 5xx, per-attempt timeouts and network errors.</summary>
    public static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException or TaskCanceledException } => true,
        { Result: { } r } => r.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500,
        _ => false,
    };

    /// <summary>POSTs <paramref name="body"/> to <c>{endpoint}/{path}</c> with the bearer key; returns the status and the body text.</summary>
    public static async Task<(HttpStatusCode Status, string Text)> PostAsync(
        HttpClient http, ResiliencePipeline<HttpResponseMessage> pipeline, string endpoint, string path, string? apiKey, JsonObject body, CancellationToken cancellationToken)
    {
        var url = endpoint.TrimEnd('/') + "/" + path;
        var json = body.ToJsonString();
        using var response = await pipeline.ExecuteAsync(async token =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            if (!string.IsNullOrEmpty(apiKey))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            return await http.SendAsync(request, token);
        }, cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>The most of a provider's answer an exception message (and so the log) quotes.</summary>
    public const int MaxQuoted = 200;

    /// <summary>
    /// A provider's answer as an exception message (and so the log) may quote it: <paramref name="apiKey"/>, the key sent,
    /// replaced wherever the answer echoes it (a provider's 401 may quote the Authorization header), then cut to <see cref="MaxQuoted"/>.
    /// </summary>
    public static string Quoted(string text, string? apiKey)
    {
        if (!string.IsNullOrEmpty(apiKey))
            text = text.Replace(apiKey, "[key not shown]", StringComparison.Ordinal);
        return text.Length <= MaxQuoted ? text : text[..MaxQuoted] + "…";
    }
}
