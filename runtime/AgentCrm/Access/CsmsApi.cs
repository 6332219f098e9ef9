using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Access;

/// <summary>The customer ids assigned to a CSM, replacing those it has: at most 10,000 (<see cref="CsmsApi.MaxAccounts"/>); an empty list unassigns all.</summary>
public sealed record AccountsRequest([property: System.ComponentModel.DataAnnotations.MaxLength(CsmsApi.MaxAccounts)] IReadOnlyList<string>? Accounts);

public sealed record CsmAccounts(string CsmId, IReadOnlyList<string> Accounts);

/// <summary>Admin assigns customer accounts to CSMs; a CSM's reads are bounded by them.</summary>
public static class CsmsApi
{
    public const int MaxAccounts = 10_000;

    public static RouteGroupBuilder MapCsmsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/csms").WithTags("Customers");
        group.MapPut("/{csmId}/accounts", Assign).WithName("AssignCsmAccounts").RequireRoles(Roles.Admin)
            .WithSummary("Replace the accounts assigned to a CSM: { \"accounts\": [\"customerId\", …] }, at most 10,000.")
            .Accepts<AccountsRequest>("application/json")
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapGet("/{csmId}/accounts", Get).WithName("GetCsmAccounts").RequireRoles(Roles.Admin).ProducesValidationProblem();
        return group;
    }

    /// <summary>A CSM's accounts; an id no CSM can have is 400 as for the PUT, not an empty list that looks like an unassigned CSM.</summary>
    public static Results<Ok<CsmAccounts>, ProblemHttpResult> Get(string csmId, AccountAssignments accounts) =>
        CsmIds.IsValid(csmId) ? TypedResults.Ok(new CsmAccounts(csmId, accounts.Accounts(csmId))) : CsmIdProblem();

    private static ProblemHttpResult CsmIdProblem() =>
        Problems.Validation(new Dictionary<string, string[]> { ["csmId"] = [$"A CSM id is {CsmIds.Rule}."] });

    public static async Task<Results<Ok<CsmAccounts>, ProblemHttpResult>> Assign(
        string csmId, HttpRequest request, AccountAssignments accounts, HttpContext context, CancellationToken cancellationToken)
    {
        if (!CsmIds.IsValid(csmId))
            return CsmIdProblem();
        var (body, error) = await JsonBody.ReadAsync<AccountsRequest>(request, 1024 * 1024, cancellationToken);
        if (error is not null)
            return error;
        if (body?.Accounts is not { } list)
            return Problems.Validation(new Dictionary<string, string[]> { ["accounts"] = ["accounts is required: the customer ids assigned to this CSM (an empty list unassigns all)."] });
        var errors = new Dictionary<string, string[]>();
        if (list.Count > MaxAccounts)
            errors["accounts"] = [$"At most {MaxAccounts} accounts per CSM."];
        for (var i = 0; i < list.Count && errors.Count < 20; i++)
            if (Customers.CustomersApi.CustomerIdProblem(list[i]) is { } problem)
                errors[$"accounts[{i}]"] = [problem];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        await accounts.AssignAsync(csmId, list, Caller.From(context.User).AuditActor, cancellationToken);
        return TypedResults.Ok(new CsmAccounts(csmId, accounts.Accounts(csmId)));
    }
}
