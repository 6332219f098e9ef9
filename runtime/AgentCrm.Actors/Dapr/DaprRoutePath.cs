using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AgentCrm.Dapr;

/// <summary>
/// The segments of a daprd call's path, each decoded exactly once (sheet §2.3: "Path segments are the caller's,
/// URL-escaped; decode them"). Kestrel decodes the path except <c>%2F</c>, which it leaves as is so a segment cannot
/// become two: a route value for the actor id <c>x/y</c>, sent as <c>x%2Fy</c>, was <c>x%2Fy</c>, which the app then escaped
/// again on its own calls to daprd (<c>x%252Fy</c>: another actor's state). Undoing only <c>%2F</c> would not do either:
/// Kestrel has already turned <c>%25</c> into <c>%</c>, so the id <c>a%2Fb</c> (sent <c>a%252Fb</c>) would become <c>a/b</c>.
/// The raw request target is the one text decoded once.
/// </summary>
internal static class DaprRoutePath
{
    /// <summary>
    /// <paramref name="request"/>'s path segments after its path base (segment 0 is the empty text before the first slash)
    /// as the caller sent them, each percent-decoded once; or null when the raw target does not line up with the path
    /// (not in origin form, or normalised by the server), in which case the route values are all there is.
    /// </summary>
    public static string[]? Segments(HttpRequest request)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/' || request.Path.Value is not { } path)
            return null;
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var rawSegments = (query < 0 ? raw : raw[..query]).Split('/');
        var segments = path.Split('/');
        var skip = rawSegments.Length - segments.Length;
        if (skip < 0)
            return null;
        var decoded = new string[segments.Length];
        for (var i = 0; i < segments.Length; i++)
        {
            decoded[i] = Uri.UnescapeDataString(rawSegments[skip + i]);
            // A segment without an escaped slash reads the same either way; one that differs means the two do not line up.
            if (!segments[i].Contains("%2F", StringComparison.OrdinalIgnoreCase) && decoded[i] != segments[i])
                return null;
        }
        return decoded;
    }

    /// <summary>The route value at path segment <paramref name="index"/>, decoded once from the raw target, else <paramref name="routeValue"/>.</summary>
    public static string Value(string[]? segments, int index, string routeValue) =>
        segments is not null && index < segments.Length ? segments[index] : routeValue;
}
