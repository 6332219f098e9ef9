using Microsoft.Extensions.Options;

namespace AgentCrm.Access;

/// <summary>Settings under <c>Auth</c>: optional JWT bearer validation and what one credential may use — its request rate and its open streams.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public JwtOptions Jwt { get; set; } = new();

    public StreamLimits Streams { get; set; } = new();

    /// <summary>Requests per second each credential (or each anonymous client address) may make.</summary>
    public int RequestsPerSecond { get; set; } = 500;

    /// <summary>Requests a credential may burst above the steady rate.</summary>
    public int Burst { get; set; } = 1000;
}

/// <summary>JWT bearer tokens are accepted when <see cref="Issuer"/> is set: issuer, audience, lifetime and signature are checked.</summary>
public sealed class JwtOptions
{
    public string? Issuer { get; set; }

    public string? Audience { get; set; }

    /// <summary>
    /// HMAC keys (base64, at least 32 bytes) for HS256 tokens; HS384 tokens need a key of at least 48 bytes and HS512 of 64
    /// (RFC 7518 §3.2): with only shorter keys, such a token is refused saying so.
    /// </summary>
    public List<string> SymmetricKeys { get; set; } = [];

    /// <summary>RSA or EC public keys in PEM for RS*/PS*/ES* tokens.</summary>
    public List<string> PublicKeysPem { get; set; } = [];

    /// <summary>The claim holding the role (one of the five roles).</summary>
    public string RoleClaim { get; set; } = DefaultRoleClaim;

    public const string DefaultRoleClaim = "role";

    /// <summary>The claim naming the caller (for a CSM: the CSM id that accounts are assigned to).</summary>
    public string NameClaim { get; set; } = DefaultNameClaim;

    public const string DefaultNameClaim = "sub";

    /// <summary>Tolerance for a token's exp and nbf against this server's clock.</summary>
    public int ClockSkewSeconds { get; set; } = 60;

    /// <summary>The largest <see cref="ClockSkewSeconds"/>: past an hour a token's lifetime means little.</summary>
    public const int MaxClockSkewSeconds = 3600;

    /// <summary>
    /// The longest a token may be valid for: from its <c>iat</c> to its <c>exp</c>, and from now to its <c>exp</c> (a token
    /// without <c>exp</c> is refused). A day by default: the usual identity providers' access tokens last minutes to an hour,
    /// Auth0's a day, so each of their defaults passes, while a token minted for a year (a misconfigured issuer, a script's
    /// "never expires") — which a leak would hand over for that year, with no revocation list for tokens — does not.
    /// </summary>
    public TimeSpan MaxLifetime { get; set; } = DefaultMaxLifetime;

    public static readonly TimeSpan DefaultMaxLifetime = TimeSpan.FromHours(24);

    /// <summary>The largest <see cref="MaxLifetime"/>: a credential that must last longer is an API key, which can be revoked.</summary>
    public static readonly TimeSpan MaxMaxLifetime = TimeSpan.FromDays(30);

    public bool Enabled => !string.IsNullOrWhiteSpace(Issuer);
}

/// <summary>How many brief streams (<c>GET /v1/briefs/stream</c>) may be open at once: per credential and on the whole server.</summary>
public sealed class StreamLimits
{
    /// <summary>
    /// Streams one credential (an API key, or a JWT's name claim) may hold open. 16: a person's browser tabs and devices
    /// and an integration or two sharing a key stay well inside it (a browser opens at most 6 HTTP/1.1 connections to a
    /// server anyway), while a leaked key or a client that reconnects without closing stops there instead of at thousands.
    /// </summary>
    public int MaxPerCredential { get; set; } = DefaultMaxPerCredential;

    public const int DefaultMaxPerCredential = 16;

    /// <summary>
    /// Streams the server holds open in all, whatever the credentials. Every brief written is offered to every open stream
    /// on the writer's thread, and each holds up to 1,024 briefs for a slow reader: 1,024 streams are 64 credentials at
    /// their limit, or a team of hundreds with a tab each.
    /// </summary>
    public int MaxTotal { get; set; } = DefaultMaxTotal;

    public const int DefaultMaxTotal = 1024;

    /// <summary>
    /// A stream with nothing to send for this long sends <c>event: heartbeat</c>: a proxy in front that closes a response
    /// idle for a minute (nginx's proxy_read_timeout, load balancers' idle timeouts) keeps it, and a client can tell a quiet
    /// stream from a dead one. Between 1 second and 5 minutes.
    /// </summary>
    public TimeSpan Heartbeat { get; set; } = DefaultHeartbeat;

    public static readonly TimeSpan DefaultHeartbeat = TimeSpan.FromSeconds(15);

    public static readonly TimeSpan MaxHeartbeat = TimeSpan.FromMinutes(5);
}

internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions o)
    {
        var errors = new List<string>();
        if (o.RequestsPerSecond < 1)
            errors.Add("Auth:RequestsPerSecond must be at least 1.");
        if (o.Burst < 1)
            errors.Add("Auth:Burst must be at least 1.");
        // Checked whether or not Jwt is on: a negative skew made every request, API keys' included, answer 500.
        if (o.Jwt.ClockSkewSeconds is < 0 or > JwtOptions.MaxClockSkewSeconds)
            errors.Add($"Auth:Jwt:ClockSkewSeconds must be between 0 and {JwtOptions.MaxClockSkewSeconds} (got {o.Jwt.ClockSkewSeconds}).");
        if (o.Jwt.MaxLifetime <= TimeSpan.Zero || o.Jwt.MaxLifetime > JwtOptions.MaxMaxLifetime)
            errors.Add($"Auth:Jwt:MaxLifetime must be more than 00:00:00 and at most {JwtOptions.MaxMaxLifetime:c} (got {o.Jwt.MaxLifetime:c}).");
        if (o.Streams.Heartbeat < TimeSpan.FromSeconds(1) || o.Streams.Heartbeat > StreamLimits.MaxHeartbeat)
            errors.Add($"Auth:Streams:Heartbeat must be between 00:00:01 and {StreamLimits.MaxHeartbeat:c} (got {o.Streams.Heartbeat:c}).");
        if (o.Streams.MaxPerCredential < 1)
            errors.Add($"Auth:Streams:MaxPerCredential must be at least 1 (got {o.Streams.MaxPerCredential}).");
        if (o.Streams.MaxTotal < 1)
            errors.Add($"Auth:Streams:MaxTotal must be at least 1 (got {o.Streams.MaxTotal}).");
        else if (o.Streams.MaxTotal < o.Streams.MaxPerCredential)
            errors.Add($"Auth:Streams:MaxTotal ({o.Streams.MaxTotal}) must be at least Auth:Streams:MaxPerCredential ({o.Streams.MaxPerCredential}).");
        if (o.Jwt.Enabled)
        {
            if (string.IsNullOrWhiteSpace(o.Jwt.Audience))
                errors.Add("Auth:Jwt:Audience is required when Auth:Jwt:Issuer is set.");
            if (o.Jwt.SymmetricKeys.Count == 0 && o.Jwt.PublicKeysPem.Count == 0)
                errors.Add("Auth:Jwt needs at least one signing key (Auth:Jwt:SymmetricKeys or Auth:Jwt:PublicKeysPem).");
            for (var i = 0; i < o.Jwt.SymmetricKeys.Count; i++)
            {
                var bytes = new byte[o.Jwt.SymmetricKeys[i].Length];
                if (!Convert.TryFromBase64String(o.Jwt.SymmetricKeys[i], bytes, out var n) || n < 32)
                    errors.Add($"Auth:Jwt:SymmetricKeys:{i} must be base64 of at least 32 bytes (HS256; HS384 tokens need 48 bytes, HS512 64).");
            }
            for (var i = 0; i < o.Jwt.PublicKeysPem.Count; i++)
                if (JwtValidator.ParsePem(o.Jwt.PublicKeysPem[i]) is null)
                    errors.Add($"Auth:Jwt:PublicKeysPem:{i} is not an RSA or EC public key in PEM.");
        }
        // Without the issuer JWT is off: a server given the rest started and answered every bearer token 401 "not configured".
        else if (!string.IsNullOrWhiteSpace(o.Jwt.Audience) || o.Jwt.SymmetricKeys.Count > 0 || o.Jwt.PublicKeysPem.Count > 0)
            errors.Add("Auth:Jwt:Issuer is required when Auth:Jwt:Audience, Auth:Jwt:SymmetricKeys or Auth:Jwt:PublicKeysPem is set (without it bearer tokens are not accepted).");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
