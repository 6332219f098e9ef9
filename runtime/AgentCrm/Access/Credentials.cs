namespace AgentCrm.Access;

/// <summary>What a request's credential proves: the caller's name, role and credential kind, or why it proves nothing.</summary>
public sealed record CredentialCheck(string? Name, string? Role, string? Kind, string? Error)
{
    /// <summary>No credential was presented at all.</summary>
    public static CredentialCheck None { get; } = new(null, null, null, null);

    public bool Valid => Error is null && Name is not null;
}

/// <summary>
/// Validates the credentials of API.md: <c>X-Api-Key</c> (looked up by hash; revoked keys fail) and
/// <c>Authorization: Bearer</c> (a JWT, when configured). The authentication handler checks a request with it, and a
/// long-lived response (the brief stream) checks it again while it runs, so a revoked key or an expired token stops it.
/// </summary>
public sealed partial class Credentials(ApiKeyStore keys, JwtValidator jwt)
{
    public const string ApiKeyHeader = "X-Api-Key";

    public async Task<CredentialCheck> CheckAsync(IHeaderDictionary headers)
    {
        var authorization = headers.Authorization.ToString();
        var bearer = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
        // Two credentials are refused, not ranked: with the key winning, a bad or expired token beside it went unnoticed,
        // and the caller was whoever the key named whatever the token said.
        if (bearer && headers.ContainsKey(ApiKeyHeader))
            return new(null, null, null, $"The request carries two credentials, an {ApiKeyHeader} header and an Authorization: Bearer token; send one.");
        if (headers.TryGetValue(ApiKeyHeader, out var presented))
        {
            // Two headers (curl -H twice) or one a proxy joined with commas (a key has no comma): which one is meant is not ours to guess.
            if (presented.Count != 1 || presented[0]!.Contains(','))
                return new(null, null, null, $"The request carries {presented.Sum(v => v!.Split(',').Length)} {ApiKeyHeader} values; send exactly one {ApiKeyHeader} header with one API key.");
            if (keys.Find(presented[0]!) is not { } key)
                return new(null, null, null, $"The {ApiKeyHeader} header does not carry a valid, unrevoked API key.");
            return new(key.Name, key.Role, "key", null);
        }
        if (bearer)
        {
            var (name, role, error) = await jwt.ValidateAsync(authorization["Bearer ".Length..].Trim());
            return error is null ? new(name, role, "jwt", null) : new(null, null, null, error);
        }
        // A credential of a scheme this server does not take (Basic, Digest…) is refused as such, not answered as if none was sent.
        if (authorization.Trim() is { Length: > 0 } sent)
        {
            // The scheme is named back only when it looks like one: a bare secret (a key with no scheme) is never echoed or logged.
            var scheme = sent.Split(' ', 2)[0];
            var accepted = $"send an API key in {ApiKeyHeader} or a bearer token (Authorization: Bearer …).";
            return new(null, null, null,
                scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) ? "The Authorization header names the Bearer scheme but carries no token."
                : sent.StartsWith(ApiKeyStore.Prefix, StringComparison.Ordinal) ? $"An API key ({ApiKeyStore.Prefix}…) goes in the {ApiKeyHeader} header, not Authorization."
                : sent.Contains(' ', StringComparison.Ordinal) && SchemeName().IsMatch(scheme) ? $"The Authorization scheme '{scheme}' is not accepted: {accepted}"
                : $"The Authorization header carries no scheme this server accepts: {accepted}");
        }
        return CredentialCheck.None;
    }

    /// <summary>Whether the request's credential still proves the same caller with the same role (not revoked, not expired).</summary>
    public async Task<bool> StillValidAsync(HttpRequest request, Caller caller) =>
        await CheckAsync(request.Headers) is { Valid: true } check && check.Name == caller.Name && check.Role == caller.Role;

    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z][A-Za-z0-9-]{0,19}\z")]
    private static partial System.Text.RegularExpressions.Regex SchemeName();
}
