namespace AgentCrm.Access;

/// <summary>The roles a credential carries (API.md, "Authentication"). <see cref="Admin"/> may do everything.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Ops = "ops";
    public const string Csm = "csm";
    public const string Reviewer = "reviewer";
    public const string Integrator = "integrator";

    /// <summary>
    /// Reads <c>/metrics</c> (and <c>/v1/me</c>), nothing else: the credential for a Prometheus scraper, which an <see cref="Ops"/>
    /// key must not be (ops can upload plugins, code that runs in the server). Not in API.md's list; added for scrapers.
    /// </summary>
    public const string Metrics = "metrics";

    public static readonly IReadOnlyList<string> All = [Admin, Ops, Csm, Reviewer, Integrator, Metrics];

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);
}

/// <summary>Who may call what: each endpoint names the roles API.md gives it; admin is always added.</summary>
public static class EndpointRoles
{
    /// <summary>Requires an authenticated caller holding one of <paramref name="roles"/> (or admin).</summary>
    public static TBuilder RequireRoles<TBuilder>(this TBuilder builder, params string[] roles) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(p => p.RequireAuthenticatedUser().RequireRole([.. roles, Roles.Admin]));
}
