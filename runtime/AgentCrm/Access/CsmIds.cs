using System.Text.RegularExpressions;

namespace AgentCrm.Access;

/// <summary>
/// What a CSM id is: the name of a <c>csm</c> API key or the name claim of a <c>csm</c> JWT, to which accounts are assigned
/// (<c>PUT /v1/csms/{csmId}/accounts</c>) and by which a webhook is filtered. A key name's characters and also <c>|</c> and
/// <c>+</c>, which identity providers' subjects (Auth0's <c>auth0|5f7c…</c>, <c>google-oauth2|1170…</c>) and e-mail
/// addresses (<c>ann+crm@example.com</c>) hold. Never <c>:</c>: a brief response is another role's under <c>role:name</c>
/// (<see cref="Briefs.BriefResponseStore.Responder"/>), so a CSM named <c>admin:x</c> would share admin x's.
/// </summary>
public static partial class CsmIds
{
    /// <summary>The rule in words, for the messages that refuse an id (400 naming <c>csmId</c>, a csm token's 401).</summary>
    public const string Rule = "1-64 characters: ASCII letters, digits and . _ @ - | +, starting with a letter or digit";

    public static bool IsValid(string id) => Pattern().IsMatch(id);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._@|+-]{0,63}\z")]
    private static partial Regex Pattern();
}
