using System.Security.Claims;

namespace AgentCrm.Access;

/// <summary>
/// The authenticated caller as the endpoints need it: a name for the audit log, the role, and for a CSM
/// the id whose assigned accounts bound what they may read.
/// </summary>
public sealed record Caller(string Name, string Role, string Credential)
{
    public const string CredentialClaim = "agentcrm:credential";

    /// <summary>True when reads must be limited to the caller's assigned accounts.</summary>
    public bool ScopedToAccounts => Role == Roles.Csm;

    /// <summary>The actor recorded in the audit log, e.g. <c>key:ops-alice</c> or <c>jwt:alice@example.com</c>.</summary>
    public string AuditActor => $"{Credential}:{Name}";

    public static Caller From(ClaimsPrincipal user) => new(
        user.Identity?.Name ?? "anonymous",
        user.FindFirstValue(ClaimTypes.Role) ?? "",
        user.FindFirstValue(CredentialClaim) ?? "none");

    public static ClaimsPrincipal Principal(string name, string role, string credential, string scheme) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role), new Claim(CredentialClaim, credential)], scheme));
}
