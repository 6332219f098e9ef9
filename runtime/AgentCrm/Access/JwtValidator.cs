using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AgentCrm.Access;

/// <summary>
/// Validates bearer tokens with Microsoft.IdentityModel (the ASP.NET Core JwtBearer package is not
/// available here): signature against the configured keys, issuer, audience, lifetime — an <c>exp</c> is required, and no
/// longer than <see cref="JwtOptions.MaxLifetime"/> away; then the role claim must name one of the five roles. A header or payload
/// that repeats a property, or a header with <c>crit</c>, is refused first (<see cref="JwtStructure"/>).
/// </summary>
public sealed class JwtValidator
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters? _parameters;
    private readonly JwtOptions _options;
    private readonly TimeProvider _time;

    /// <summary>The longest configured HMAC key in bytes (0 without one): what decides whether HS384 and HS512 tokens can be taken.</summary>
    private readonly int _longestSymmetricKey;

    public JwtValidator(IOptions<AuthOptions> options, TimeProvider time)
    {
        _time = time;
        _options = options.Value.Jwt;
        if (!_options.Enabled)
            return;
        var keys = new List<SecurityKey>();
        keys.AddRange(_options.SymmetricKeys.Select(k => new SymmetricSecurityKey(Convert.FromBase64String(k))));
        _longestSymmetricKey = keys.OfType<SymmetricSecurityKey>().Select(k => k.Key.Length).DefaultIfEmpty(0).Max();
        keys.AddRange(_options.PublicKeysPem.Select(ParsePem).OfType<SecurityKey>());
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.Audience,
            IssuerSigningKeys = keys,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = TimeSpan.FromSeconds(_options.ClockSkewSeconds),
        };
    }

    public bool Enabled => _parameters is not null;

    /// <summary>The caller's name and role, or the reason the token is refused (never echoing the token).</summary>
    public async Task<(string? Name, string? Role, string? Error)> ValidateAsync(string token)
    {
        // An API key sent the way most APIs take theirs: say how this one takes it.
        if (token.StartsWith(ApiKeyStore.Prefix, StringComparison.Ordinal))
            return (null, null, $"An API key ({ApiKeyStore.Prefix}…) goes in the X-Api-Key header, not Authorization: Bearer.");
        if (_parameters is null)
            return (null, null, "Bearer tokens are not accepted by this server (Auth:Jwt is not configured); send an API key as the X-Api-Key header.");
        if (JwtStructure.Problem(token) is { } structure)
            return (null, null, structure);
        if (HmacKeyProblem(token) is { } shortKey)
            return (null, null, shortKey);
        var result = await _handler.ValidateTokenAsync(token, _parameters);
        if (!result.IsValid)
            return (null, null, result.Exception switch
            {
                SecurityTokenExpiredException => "The bearer token has expired.",
                SecurityTokenNoExpirationException => $"The bearer token has no expiry (exp); this server takes tokens that expire within Auth:Jwt:MaxLifetime ({_options.MaxLifetime:c}).",
                SecurityTokenInvalidAudienceException => "The bearer token is for another audience.",
                SecurityTokenInvalidIssuerException => "The bearer token is from an untrusted issuer.",
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The bearer token's signature is not valid.",
                _ => "The bearer token is not valid.",
            });
        if (LifetimeProblem((JsonWebToken)result.SecurityToken) is { } tooLong)
            return (null, null, tooLong);
        var name = result.Claims.TryGetValue(_options.NameClaim, out var n) ? n?.ToString() : null;
        var role = result.Claims.TryGetValue(_options.RoleClaim, out var r) ? r?.ToString() : null;
        if (string.IsNullOrEmpty(name))
            return (null, null, $"The bearer token has no '{_options.NameClaim}' claim.");
        // The name is who the caller is (a CSM's id, an audit record's actor): blank, padded or control characters would be
        // another caller's name to the eye, or none.
        if (NameProblem(name) is { } problem)
            return (null, null, $"The bearer token's '{_options.NameClaim}' claim {problem}.");
        if (role is null || !Roles.IsKnown(role))
            return (null, null, $"The bearer token's '{_options.RoleClaim}' claim must be one of: {string.Join(", ", Roles.All)}.");
        // A CSM's name is the id its accounts are assigned to: one no assignment can take would sign in and never see an account.
        if (role == Roles.Csm && !CsmIds.IsValid(name))
            return (null, null, $"The bearer token's '{_options.NameClaim}' claim cannot be a CSM id, which a {Roles.Csm} token's name is (accounts are assigned to it): a CSM id is {CsmIds.Rule}.");
        return (name, role, null);
    }

    /// <summary>
    /// Why a signed, unexpired token lives too long, or null. Its lifetime is measured from its <c>iat</c> when it has one, so
    /// a token is refused or accepted for its whole life alike (measured from now only, a token minted for a year would be
    /// refused until its last day and taken then); and from now as well, which is all there is without <c>iat</c> and
    /// catches an <c>iat</c> set in the future. From now, the clock skew is allowed for: an issuer's clock a little ahead
    /// of this server's must not refuse its tokens of exactly the longest lifetime.
    /// </summary>
    private string? LifetimeProblem(JsonWebToken token)
    {
        var max = _options.MaxLifetime;
        // ValidTo is DateTime.MaxValue for an exp past the year 9999 (an exp of 10^12); DateTimeOffset arithmetic on it stays in range below.
        var expires = new DateTimeOffset(token.ValidTo, TimeSpan.Zero);
        var now = _time.GetUtcNow();
        var declared = token.TryGetPayloadValue<object>(JwtRegisteredClaimNames.Iat, out _) ? expires - new DateTimeOffset(token.IssuedAt, TimeSpan.Zero) : TimeSpan.Zero;
        if (declared > max)
            return $"The bearer token is valid for longer than this server accepts: from its iat to its exp is {Span(declared)}, more than Auth:Jwt:MaxLifetime ({max:c}).";
        if (expires - now > max + TimeSpan.FromSeconds(_options.ClockSkewSeconds))
            return $"The bearer token is valid for longer than this server accepts: its exp is {Span(expires - now)} from now, more than Auth:Jwt:MaxLifetime ({max:c}).";
        return null;
    }

    /// <summary>A lifetime as a message shows it: whole days and the time of day, without fractions of a second.</summary>
    private static string Span(TimeSpan span) => TimeSpan.FromSeconds(Math.Floor(span.TotalSeconds)).ToString("c", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Why a token's name claim cannot name a caller, or null: blank, white space at either end, control characters, over 256
    /// characters; and what intake refuses in a customer id (<see cref="Agents.Customers.EventIds.HasHiddenCharacters"/>):
    /// the line and paragraph separators, which split the log lines that name the caller, and invisible formatting characters
    /// (a zero-width space, a direction override), which make the name in an audit record read as another.
    /// </summary>
    internal static string? NameProblem(string name) =>
        string.IsNullOrWhiteSpace(name) ? "is blank"
        : name.Length > 256 ? "is longer than 256 characters"
        : name.Trim() != name ? "has white space at either end"
        : name.Any(char.IsControl) ? "contains a control character"
        : Agents.Customers.EventIds.HasHiddenCharacters(name)
            ? "contains a line or paragraph separator (U+2028, U+2029) or an invisible formatting character (a zero-width space, a byte-order mark, a direction override)"
        : null;

    /// <summary>The smallest HMAC key for an algorithm (RFC 7518 §3.2: at least the hash's size), or null for one that is not HMAC.</summary>
    internal static int? HmacMinimumBytes(string? alg) => alg switch
    {
        SecurityAlgorithms.HmacSha256 => 32,
        SecurityAlgorithms.HmacSha384 => 48,
        SecurityAlgorithms.HmacSha512 => 64,
        _ => null,
    };

    /// <summary>
    /// Why an HS384 or HS512 token cannot be taken: every configured HMAC key is shorter than the algorithm needs (RFC 7518
    /// §3.2), so no key of this server may check it; said as such rather than as a signature that is not valid.
    /// </summary>
    private string? HmacKeyProblem(string token)
    {
        if (_longestSymmetricKey == 0)
            return null;
        string alg;
        try
        {
            alg = _handler.ReadJsonWebToken(token).Alg;
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException)
        {
            // Not a token: validation says why.
            return null;
        }
        return HmacMinimumBytes(alg) is { } needed && _longestSymmetricKey < needed
            ? $"The bearer token is signed with {alg}, which needs an HMAC key of at least {needed} bytes (RFC 7518 §3.2); this server's Auth:Jwt:SymmetricKeys are shorter ({_longestSymmetricKey} bytes): sign with HS256, or configure a key of {needed} bytes or more."
            : null;
    }

    public static SecurityKey? ParsePem(string pem)
    {
        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa);
        }
        catch (ArgumentException)
        {
        }
        catch (CryptographicException)
        {
        }
        try
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return new ECDsaSecurityKey(ec);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            return null;
        }
    }
}
