using System.Net;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests;

/// <summary>Reading an RFC 7807 answer in tests.</summary>
public static class ProblemResponses
{
    /// <summary>Asserts the response is ProblemDetails (application/problem+json) with this status; returns its body.</summary>
    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {(body.Length > 400 ? body[..400] : body)}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>
    /// What is wrong with the answers to requests that raced each other: a 5xx, or a refusal that is not a 404 or 409
    /// ProblemDetails (a loser is told what it lost to); empty when every answer is fine.
    /// </summary>
    public static async Task<List<string>> RaceProblemsAsync(this IEnumerable<HttpResponseMessage> responses, string context)
    {
        var problems = new List<string>();
        foreach (var r in responses)
            if (!r.IsSuccessStatusCode && (r.StatusCode is not (HttpStatusCode.Conflict or HttpStatusCode.NotFound)
                || r.Content.Headers.ContentType?.MediaType != "application/problem+json"))
                problems.Add($"{context}: {r.RequestMessage!.Method} {r.RequestMessage.RequestUri} → {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        return problems;
    }
}

/// <summary>YAML that must be refused before it is expanded.</summary>
public static class YamlBombs
{
    /// <summary>
    /// <paramref name="header"/>, then six levels of aliases, each ten times the one before ("billion laughs", smaller:
    /// 10^6 nodes once expanded); the first anchor is on the line after the header.
    /// </summary>
    public static string Aliases(string header) => header + "\n" + """
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
        """;
}
