using AgentCrm.Access;
using AgentCrm.Actors;
using AgentCrm.Agents;
using AgentCrm.Agents.Consent;
using AgentCrm.Agents.Customers;
using AgentCrm.Briefs;
using AgentCrm.Intake;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Customers;

/// <summary>A customer's snapshot fields, all of them (each agent gets only those its purpose's consent allows); <see cref="AsOf"/> is null (and <see cref="Fields"/> empty) before any of its events was processed.</summary>
public sealed record CustomerView(string Id, DateTimeOffset? AsOf, IReadOnlyDictionary<string, SnapshotField> Fields, ConsentRecord Consent, IReadOnlyList<Brief> OpenBriefs);

public sealed record GrantRequest(string? Purpose, IReadOnlyList<string>? Categories, string? ExpiresAt = null);

public sealed record ConsentRequest(IReadOnlyList<GrantRequest>? Grants);

public static class CustomersApi
{
    public const int MaxGrants = 100;

    private const string PurposeRule = "a manifest's purpose (1-64 lower-case letters, digits and dashes, starting with a letter or digit, e.g. customer-success), or * for any purpose.";

    public static RouteGroupBuilder MapCustomersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/customers").WithTags("Customers");
        group.MapGet("/{id}", GetCustomer).WithName("GetCustomer").RequireRoles(Roles.Ops, Roles.Csm, Roles.Reviewer)
            .WithSummary("Snapshot features as agents see them, consent, and open briefs.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem(StatusCodes.Status403Forbidden)
            .AlsoAnswers(StatusCodes.Status403Forbidden, "Or a CSM asked for a customer that is not one of their accounts: named under errors.customerId.");
        group.MapPut("/{id}/consent", PutConsent).WithName("PutConsent").RequireRoles(Roles.Ops)
            .WithSummary("Replace the customer's consent grants (purpose × data categories × expiry); revocation = a PUT without the grant.")
            .Accepts<ConsentRequest>("application/json")
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType);
        return group;
    }

    public static async Task<Results<Ok<CustomerView>, ProblemHttpResult>> GetCustomer(
        string id, IActorHost host, BriefStore briefs, BriefDisclosure disclosure, BriefResponseStore responses, ConsentStore consent, AccountAssignments accounts, HttpContext context,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        if (!accounts.CanRead(caller, id))
        {
            var refused = $"Customer '{Problems.Clip(id, 200)}' is not one of your accounts.";
            return Problems.Validation(new Dictionary<string, string[]> { ["customerId"] = [refused] }, StatusCodes.Status403Forbidden, refused);
        }
        var snapshot = await host.InvokeAsync(new ActorId(CustomerActor.TypeName, id), CustomerActor.SnapshotMethod, null, cancellationToken) as CustomerSnapshot;
        var consentInForce = consent.Get(id);
        // A customer known only by the consent recorded for it: that consent can be read before its first event.
        if (snapshot is null && !consentInForce.Explicit)
            return Problems.NotFound($"No events have been processed for customer '{id}', and no consent is recorded for it.");
        var open = responses.WithResponses(disclosure.AsConsented(briefs.Query(new BriefQuery(id, null, null, null, null, BriefsApi.MaxLimit, null) { VisibleTo = caller })), caller).Items
            .Where(b => b.Status is BriefStatus.Delivered or BriefStatus.PendingReview).ToList();
        return TypedResults.Ok(new CustomerView(id, snapshot?.AsOf, snapshot?.Fields ?? new Dictionary<string, SnapshotField>(), consentInForce, open));
    }

    public static async Task<Results<Ok<ConsentRecord>, ProblemHttpResult>> PutConsent(
        string id, HttpRequest request, ConsentStore consent, TimeProvider time, HttpContext context, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadAsync<ConsentRequest>(request, 256 * 1024, cancellationToken);
        if (error is not null)
            return error;
        var errors = new Dictionary<string, string[]>();
        if (CustomerIdProblem(id) is { } idProblem)
            errors["customerId"] = [idProblem];
        if (body?.Grants is not { } grants)
        {
            errors["grants"] = ["grants is required (an empty list withdraws every consent)."];
            return Problems.Validation(errors);
        }
        if (grants.Count > MaxGrants)
            errors["grants"] = [$"At most {MaxGrants} grants."];
        var categories = FieldCatalog.Categories.ToHashSet(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        var parsed = new List<ConsentGrant>();
        for (var i = 0; i < grants.Count && i < MaxGrants; i++)
        {
            var g = grants[i];
            if (g is null)
            {
                errors[$"grants[{i}]"] = ["A grant is an object { purpose, categories, expiresAt }."];
                continue;
            }
            if (string.IsNullOrWhiteSpace(g.Purpose))
                errors[$"grants[{i}].purpose"] = ["purpose is required: " + PurposeRule];
            else if (g.Purpose != ConsentGrant.Any && ManifestReader.PurposeFault(g.Purpose) is { } fault)
                errors[$"grants[{i}].purpose"] = [$"purpose '{Problems.Clip(g.Purpose, 80)}' is not a purpose name: {fault}. {char.ToUpperInvariant(PurposeRule[0])}{PurposeRule[1..]}"];
            if (g.Categories is null || g.Categories.Count == 0)
                errors[$"grants[{i}].categories"] = [$"categories is required: one or more of {string.Join(", ", categories.Order())}, or *."];
            else
                for (var j = 0; j < g.Categories.Count; j++)
                    if (g.Categories[j] != ConsentGrant.Any && !categories.Contains(g.Categories[j] ?? ""))
                        errors[$"grants[{i}].categories[{j}]"] = [$"Unknown data category '{g.Categories[j]}'; allowed: {string.Join(", ", categories.Order())}, or *."];
            DateTimeOffset? expires = null;
            if (g.ExpiresAt is not null)
            {
                if (!EventParser.TryParseTimestamp(g.ExpiresAt, out var t))
                    errors[$"grants[{i}].expiresAt"] = [EventTimes.IsWellFormed(g.ExpiresAt)
                        ? $"expiresAt '{Problems.Clip(g.ExpiresAt, 40)}' {EventTimes.NoSuchInstant}."
                        : "expiresAt must be an ISO 8601 timestamp with a time zone, e.g. 2027-12-31T00:00:00Z."];
                else if (t <= now)
                    errors[$"grants[{i}].expiresAt"] = ["expiresAt is in the past; leave the grant out to revoke it."];
                else
                    expires = t.ToUniversalTime(); // UTC, as every timestamp the API writes (+05:30 was echoed as sent)
            }
            if (g.Purpose is not null && g.Categories is not null)
                parsed.Add(new ConsentGrant(g.Purpose, g.Categories.ToList(), expires));
        }
        if (errors.Count > 0)
            return Problems.Validation(errors, detail: "The consent is invalid; nothing was changed.");
        return TypedResults.Ok(await consent.PutAsync(id, parsed, Caller.From(context.User).AuditActor, cancellationToken));
    }

    /// <summary>The longest customer id intake takes, in <see cref="EventIds.Characters"/>; consent and CSM accounts take the same ids.</summary>
    public const int MaxCustomerIdLength = 200;

    /// <summary>
    /// Why <paramref name="id"/> cannot be a customer id, or null: intake's length and path rules (<see cref="EventIds.CustomerIdPathProblem"/>).
    /// Not the look-alike rule: a customer an earlier build accepted as <c>"acme "</c> can still have its consent withdrawn
    /// and its CSM changed (so consent may also be recorded for such an id that no new event can name).
    /// </summary>
    public static string? CustomerIdProblem(string? id) =>
        string.IsNullOrWhiteSpace(id) ? "A customer id must not be empty."
        : EventIds.Characters(id) > MaxCustomerIdLength ? $"A customer id is at most {MaxCustomerIdLength} characters."
        : EventIds.CustomerIdPathProblem(id);
}
