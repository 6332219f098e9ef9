using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Access;

/// <summary>Who the credential is: its name, role and kind, and for a CSM the accounts assigned to them.</summary>
public sealed record Me(string Name, [property: Server.OpenApiValues(typeof(Roles), nameof(Roles.All))] string Role, [property: Server.OpenApiValues("key", "jwt")] string Credential, IReadOnlyList<string>? Accounts);

/// <summary>
/// The caller as the server sees them, for clients that adapt to the role (the web console shows review and response
/// actions by it) and for a user checking which key they hold. Any valid credential; nothing secret is returned.
/// </summary>
public static class MeApi
{
    public static IEndpointRouteBuilder MapMeApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/me", Get).WithTags("Access").WithName("GetMe")
            .RequireRoles([.. Roles.All])
            .WithSummary("The caller: name, role, credential kind (key or jwt), and a CSM's assigned accounts.");
        return app;
    }

    public static Ok<Me> Get(AccountAssignments accounts, HttpContext context)
    {
        var caller = Caller.From(context.User);
        return TypedResults.Ok(new Me(caller.Name, caller.Role, caller.Credential, caller.ScopedToAccounts ? accounts.Accounts(caller.Name) : null));
    }
}
