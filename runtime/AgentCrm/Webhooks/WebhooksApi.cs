using AgentCrm.Access;
using AgentCrm.Agents;
using AgentCrm.Agents.Text;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCrm.Webhooks;

public sealed record WebhookRequest(string? Url, string? CsmId = null, string? AgentId = null, [property: OpenApiNotNull] string? Secret = null);

/// <summary>
/// A subscription and its delivery state, never its secret; <see cref="PreviousSecretValidUntil"/>: since its last rotation,
/// until when requests are (or were) signed with the replaced secret too (null: never rotated, or rotated without overlap).
/// <see cref="Status"/>: <c>active</c>, or <c>disabled</c> (since <see cref="DisabledAt"/>, for <see cref="DisabledReason"/>)
/// for failing longer than Webhooks:DisableAfter; <see cref="FailingSince"/>: the first failure since the last success.
/// <see cref="LastError"/> is the latest failed attempt's (at <see cref="LastFailureAt"/>), kept after a success as history:
/// current while <see cref="ConsecutiveFailures"/> &gt; 0, past once <see cref="LastSuccessAt"/> is later.
/// <see cref="Backlog"/>, <see cref="OldestPendingAt"/> and <see cref="Behind"/> as <see cref="WebhookBacklog"/> has them;
/// <see cref="CsmAccounts"/>: the accounts <see cref="CsmId"/> has assigned now (0: it sends nothing until some are), null
/// without a CSM.
/// </summary>
public sealed record WebhookView(
    string Id, string Url, string? CsmId, int? CsmAccounts, string? AgentId, DateTimeOffset CreatedAt, string CreatedBy,
    long Delivered, long Backlog, long Cursor, DateTimeOffset? LastSuccessAt, DateTimeOffset? LastFailureAt, string? LastError,
    int ConsecutiveFailures, DateTimeOffset? NextAttemptAt, DateTimeOffset? PreviousSecretValidUntil,
    [property: OpenApiValues(WebhookRecord.Active, WebhookRecord.Disabled)] string Status, DateTimeOffset? FailingSince, DateTimeOffset? DisabledAt, string? DisabledReason,
    DateTimeOffset? OldestPendingAt, long Behind)
{
    public static WebhookView Of(WebhookRecord r, WebhookBacklog backlog) => new(r.Id, r.Url, r.CsmId, backlog.CsmAccounts, r.AgentId, r.CreatedAt, r.CreatedBy,
        r.Delivered, backlog.Changes, r.DeliveredSeq, r.LastSuccessAt, r.LastFailureAt, r.LastError, r.ConsecutiveFailures, r.NextAttemptAt,
        r.PreviousSecret is null ? null : r.PreviousSecretUntil, r.Status, r.FailingSince, r.DisabledAt, r.DisabledReason,
        backlog.OldestPendingAt, backlog.Behind);
}

/// <summary>The answer to a create: the subscription, and its secret this once.</summary>
public sealed record WebhookCreated(string Id, string Url, string? CsmId, string? AgentId, DateTimeOffset CreatedAt, string CreatedBy, long Cursor, string Secret)
{
    public static WebhookCreated Of(WebhookRecord r) => new(r.Id, r.Url, r.CsmId, r.AgentId, r.CreatedAt, r.CreatedBy, r.DeliveredSeq, r.Secret);
}

/// <summary>
/// A secret rotation's body: the new secret, or none to have one generated; how long the replaced secret still signs
/// (a time span as the settings write them, "00:00:00" for not at all), or left out for Webhooks:SecretOverlap (null is refused).
/// </summary>
public sealed record WebhookSecretRequest([property: OpenApiNotNull] string? Secret = null, [property: OpenApiNotNull] string? Overlap = null);

/// <summary>
/// The answer to a secret rotation: the subscription and its delivery state (as <see cref="WebhookView"/>), the new secret
/// this once, and until when requests are signed with the replaced one too (null: no overlap).
/// </summary>
public sealed record WebhookSecretRotated(
    string Id, string Url, string? CsmId, int? CsmAccounts, string? AgentId, DateTimeOffset CreatedAt, string CreatedBy,
    long Delivered, long Backlog, long Cursor, DateTimeOffset? LastSuccessAt, DateTimeOffset? LastFailureAt, string? LastError,
    int ConsecutiveFailures, DateTimeOffset? NextAttemptAt, string Secret, DateTimeOffset? PreviousSecretValidUntil,
    [property: OpenApiValues(WebhookRecord.Active, WebhookRecord.Disabled)] string Status, DateTimeOffset? FailingSince, DateTimeOffset? DisabledAt, string? DisabledReason,
    DateTimeOffset? OldestPendingAt, long Behind)
{
    public static WebhookSecretRotated Of(WebhookRecord r, WebhookBacklog backlog) => new(r.Id, r.Url, r.CsmId, backlog.CsmAccounts, r.AgentId, r.CreatedAt, r.CreatedBy,
        r.Delivered, backlog.Changes, r.DeliveredSeq, r.LastSuccessAt, r.LastFailureAt, r.LastError, r.ConsecutiveFailures, r.NextAttemptAt,
        r.Secret, r.PreviousSecretUntil, r.Status, r.FailingSince, r.DisabledAt, r.DisabledReason, backlog.OldestPendingAt, backlog.Behind);
}

/// <summary>
/// How a caller names a subscription's fields, for the messages that name them: the JSON body's names over HTTP, the
/// argument and options on the command line; <see cref="AgentList"/> is where the registered agents are listed, and
/// <see cref="AssignAccounts"/> how a CSM's accounts are assigned (<c>{0}</c>: the CSM id).
/// </summary>
internal sealed record WebhookFields(string Url, string CsmId, string AgentId, string Secret, string AgentList, string Overlap, string AssignAccounts)
{
    public static readonly WebhookFields Api = new("url", "csmId", "agentId", "secret", "GET /v1/agents", "overlap", "PUT /v1/csms/{0}/accounts");

    /// <summary>The name of the API field <paramref name="key"/> (a key of the validation errors).</summary>
    public string Of(string key) => key switch
    {
        "url" => Url,
        "csmId" => CsmId,
        "agentId" => AgentId,
        "overlap" => Overlap,
        _ => Secret,
    };
}

/// <summary>Ops manage webhook subscriptions: briefs CSMs may see, pushed as they are delivered or retracted.</summary>
public static class WebhooksApi
{
    public const int MaxUrlLength = 2048;
    public const int MinSecretLength = 16;
    public const int MaxSecretLength = 256;

    public static RouteGroupBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/webhooks").WithTags("Webhooks");
        group.MapPost("/", CreateAsync).WithName("CreateWebhook").RequireRoles(Roles.Ops)
            .WithSummary("Subscribe a URL to delivered and retracted briefs (optionally one CSM's accounts — a CSM with accounts assigned now —, one registered agent); the secret is returned once. 409: the same url, csmId and agentId are subscribed already (the answer names that webhook), or Webhooks:MaxSubscriptions is reached.")
            .Accepts<WebhookRequest>("application/json")
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status409Conflict).ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapGet("/", List).WithName("ListWebhooks").RequireRoles(Roles.Ops).ProducesValidationProblem();
        group.MapGet("/{id}", Get).WithName("GetWebhook").RequireRoles(Roles.Ops)
            .WithSummary("One subscription's delivery state: delivered, backlog, last success, failures in a row, next attempt.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/secret", RotateSecretAsync).WithName("RotateWebhookSecret").RequireRoles(Roles.Ops)
            .WithSummary("Replace the signing secret (given, or generated); returned once. The cursor stays; the old secret still signs, beside the new, for the overlap given (hh:mm:ss or d.hh:mm:ss, fractions of a second as the settings take them, 0-7 days; null is refused) or, left out, Webhooks:SecretOverlap.")
            .Accepts<WebhookSecretRequest>(isOptional: true, "application/json")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesValidationProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapPost("/{id}/enable", EnableAsync).WithName("EnableWebhook").RequireRoles(Roles.Ops).TakesNoBody()
            .WithSummary("Enable a subscription disabled for failing longer than Webhooks:DisableAfter: it resumes from its cursor, every change since its last delivery in order. An active one: 200, nothing changed.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteWebhook").RequireRoles(Roles.Ops).TakesNoBody()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    public static async Task<Results<Created<WebhookCreated>, ProblemHttpResult>> CreateAsync(HttpRequest request, WebhookStore store, WebhookDispatcher dispatcher,
        AgentRegistry registry, AccountAssignments accounts, IOptions<WebhookOptions> options, HttpContext context, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadAsync<WebhookRequest>(request, 64 * 1024, cancellationToken, NullSecret);
        if (error is not null)
            return error;
        var errors = Validate(body, registry, accounts);
        if (!errors.ContainsKey("url") && !options.Value.AllowPrivateAddresses && PrivateHost(body!.Url!) is { } host)
            errors["url"] = [$"{host} is a {PrivateAddresses.Kinds} address, which Webhooks:AllowPrivateAddresses=false refuses."];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        var secret = body!.Secret ?? WebhookStore.NewSecret();
        var max = options.Value.MaxSubscriptions;
        var creation = await store.CreateAsync(body.Url!, body.CsmId, body.AgentId, secret, Caller.From(context.User).AuditActor, max, cancellationToken);
        if (creation.Existing is { } existing)
            return Problems.Validation(new Dictionary<string, string[]>
            {
                ["url"] = [$"Webhook {existing} already posts to this url with the same csmId and agentId: a second would receive each change again, under other delivery ids. "
                    + $"Use {existing} (GET /v1/webhooks/{existing}), or delete it first."],
            }, StatusCodes.Status409Conflict);
        if (creation.Hook is not { } hook)
            return Problems.Validation(new Dictionary<string, string[]> { ["url"] = [$"The limit of {Cli.Counted.Of(max, "subscription")} (Webhooks:MaxSubscriptions) is reached; delete one first."] },
                StatusCodes.Status409Conflict);
        dispatcher.Resync();
        return TypedResults.Created($"/v1/webhooks/{hook.Id}", WebhookCreated.Of(hook));
    }

    /// <summary>The URL's host when it is <c>localhost</c> or an address literal <see cref="PrivateAddresses"/> refuses; names are checked at each delivery.</summary>
    private static string? PrivateHost(string url)
    {
        var host = new Uri(url).Host;
        // "localhost." is the same name, fully qualified.
        var name = host.TrimEnd('.');
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && PrivateAddresses.IsPrivate(address))
            ? host : null;
    }

    /// <summary>
    /// Every field at fault, by name: an absolute http(s) URL without credentials, a CSM with accounts assigned, a registered
    /// agent, a secret of sane length. The CSM is checked now only: its accounts may change later, and each change is sent by
    /// the assignment at that time. A CSM with none would make a subscription that looks healthy and sends nothing (a
    /// mistyped or differently cased id: ids are case-sensitive), so it is refused, with the assigned id it most likely meant.
    /// </summary>
    internal static Dictionary<string, string[]> Validate(WebhookRequest? body, AgentRegistry registry, AccountAssignments accounts, WebhookFields? fields = null)
    {
        fields ??= WebhookFields.Api;
        var errors = ValidateForm(body, fields);
        if (!errors.ContainsKey("csmId") && body?.CsmId is { } csm && !accounts.HasAccounts(csm))
        {
            var meant = EditDistance.Closest(csm, accounts.CsmIds()) is { } closest ? $" (did you mean {closest}?)" : "";
            errors["csmId"] = [$"No accounts are assigned to CSM '{csm}'{meant}, so a subscription for it would send nothing; CSM ids are case-sensitive. "
                + $"Assign its accounts first ({string.Format(System.Globalization.CultureInfo.InvariantCulture, fields.AssignAccounts, csm)})."];
        }
        if (body?.AgentId is { } agent && (agent.Length > 64 || registry.Versions(agent).Count == 0))
            errors["agentId"] = [$"No agent '{Problems.Clip(agent, 64)}' is registered ({fields.AgentList} lists them)."];
        return errors;
    }

    /// <summary>
    /// The fields whose fault the request itself shows (url, csmId, secret), without the registry: the CLI tells them as
    /// usage errors before it opens the data directory. Keyed by the API's field names, worded with <paramref name="fields"/>.
    /// </summary>
    internal static Dictionary<string, string[]> ValidateForm(WebhookRequest? body, WebhookFields fields)
    {
        var errors = new Dictionary<string, string[]>();
        if (body?.Url is not { } url || url.Length == 0)
            errors["url"] = [$"{fields.Url} is required: the absolute http or https URL the briefs are posted to."];
        else if (url.Length > MaxUrlLength)
            errors["url"] = [$"{fields.Url} is at most {MaxUrlLength} characters."];
        else if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || uri.Host.Length == 0
            || url.Any(char.IsWhiteSpace))
            errors["url"] = [$"{fields.Url} must be an absolute http or https URL (https://host/path)."];
        else if (url.Any(char.IsControl))
            // An escape sequence in a URL would be printed by `webhooks list` into an ops terminal, and a NUL cuts it in C clients.
            errors["url"] = [$"{fields.Url} must not contain control characters; percent-encode them (%1B)."];
        else if (uri.UserInfo.Length > 0)
            errors["url"] = [$"{fields.Url} must not carry a user name or password (user:pass@host): the requests are signed with the secret instead."];
        else if (uri.Fragment.Length > 0)
            errors["url"] = [$"{fields.Url} must not have a fragment (#…): it is never sent."];
        else if (uri.Port == 0)
            // Nothing can be reached on port 0: the subscription would only ever fail.
            errors["url"] = [$"{fields.Url} must name a port from 1 to 65535, or none for the scheme's (port 0 reaches nothing)."];
        if (body?.CsmId is { } csm && !CsmIds.IsValid(csm))
            errors["csmId"] = [$"A CSM id is {CsmIds.Rule}."];
        if (SecretProblem(body?.Secret, fields) is { } secret)
            errors["secret"] = [secret];
        return errors;
    }

    /// <summary>What is wrong with a secret given at creation or rotation (<paramref name="secret"/> null: none given, one is generated); null when nothing is.</summary>
    internal static string? SecretProblem(string? secret, WebhookFields fields) =>
        secret is not null && (secret.Length is < MinSecretLength or > MaxSecretLength || secret.Any(c => c is < '!' or > '~'))
            ? $"{fields.Secret} is {MinSecretLength}-{MaxSecretLength} printable ASCII characters without spaces; leave it out to have one generated."
            : null;

    /// <summary>
    /// What is wrong with the overlap a rotation asks for (<paramref name="value"/> null: none given, Webhooks:SecretOverlap
    /// applies), null when nothing is; <paramref name="overlap"/> is then the one asked for. The setting's form and range: a
    /// time span hh:mm:ss or d.hh:mm:ss from 0 to 7 days (fractions of a second as the settings take them, 00:00:00.5), and
    /// "0" for none. Any other bare number is refused rather than
    /// read as days, as the time span parser would ("30" meant as seconds would keep a leaked secret signing for a month).
    /// </summary>
    internal static string? OverlapProblem(string? value, WebhookFields fields, out TimeSpan? overlap)
    {
        overlap = null;
        if (value is null)
            return null;
        if (SettingsChecker.TryParseTimeSpan(value, out var parsed)
            && parsed >= TimeSpan.Zero && parsed <= WebhookOptions.MaxSecretOverlap)
        {
            overlap = parsed;
            return null;
        }
        return $"{fields.Overlap} is a time span from 00:00:00 to {WebhookOptions.MaxSecretOverlap:c} (hh:mm:ss or d.hh:mm:ss) for which the replaced secret still signs; "
            + $"00:00:00 (or 0): the new secret alone, at once; left out: Webhooks:SecretOverlap.";
    }

    /// <summary>
    /// <c>"secret": null</c> is refused at creation and rotation alike, as every other named top-level null is: only a
    /// secret left out is generated (README), so a null (a template's unset variable) is not taken for a choice.
    /// </summary>
    private static readonly Dictionary<string, string> NullSecret = new()
    {
        ["secret"] = $"secret is {MinSecretLength}-{MaxSecretLength} printable ASCII characters without spaces, not null; omit secret to have one generated.",
    };

    /// <summary>
    /// <c>"overlap": null</c> is refused, not read as left out: after a leak, null meant as "no overlap" kept the leaked
    /// secret signing for Webhooks:SecretOverlap (24 h by default).
    /// </summary>
    private static readonly Dictionary<string, string> RotationNulls = new(NullSecret)
    {
        ["overlap"] = "overlap is a time span hh:mm:ss or d.hh:mm:ss, not null: \"00:00:00\" for the new secret alone, at once; leave the field out for Webhooks:SecretOverlap.",
    };

    /// <summary>
    /// A new secret for a subscription (a leaked one, a scheduled change) without deleting it: its cursor and delivery state
    /// stay, so no brief is missed or sent again; the replaced secret still signs beside it for the overlap the body asks for,
    /// else Webhooks:SecretOverlap.
    /// </summary>
    public static async Task<Results<Ok<WebhookSecretRotated>, ProblemHttpResult>> RotateSecretAsync(string id, HttpRequest request, WebhookStore store,
        WebhookDispatcher dispatcher, IOptions<WebhookOptions> options, HttpContext context, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadAsync<WebhookSecretRequest>(request, 4 * 1024, cancellationToken, RotationNulls);
        if (error is not null)
            return error;
        var errors = new Dictionary<string, string[]>();
        if (SecretProblem(body?.Secret, WebhookFields.Api) is { } problem)
            errors["secret"] = [problem];
        if (OverlapProblem(body?.Overlap, WebhookFields.Api, out var overlap) is { } badOverlap)
            errors["overlap"] = [badOverlap];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        if (await store.RotateSecretAsync(id, body?.Secret ?? WebhookStore.NewSecret(), overlap ?? options.Value.SecretOverlap, Caller.From(context.User).AuditActor, cancellationToken)
            is not { } hook)
            return Problems.NotFound($"No webhook '{id}'.");
        dispatcher.Resync();
        return TypedResults.Ok(WebhookSecretRotated.Of(hook, store.Backlog(hook)));
    }

    public static Results<Ok<ItemsPage<WebhookView>>, ProblemHttpResult> List(WebhookStore store, string? limit, string? cursor)
    {
        var page = NamedPage.Of(store.List(), h => h.Id, limit, cursor, NamedPage.Webhooks);
        if (page.Result is not Ok<ItemsPage<WebhookRecord>> { Value: { } records })
            return (ProblemHttpResult)page.Result;
        return TypedResults.Ok(new ItemsPage<WebhookView>(records.Items.Select(r => WebhookView.Of(r, store.Backlog(r))).ToList(), records.NextCursor));
    }

    public static Results<Ok<WebhookView>, ProblemHttpResult> Get(string id, WebhookStore store) =>
        store.Get(id) is { } hook ? TypedResults.Ok(WebhookView.Of(hook, store.Backlog(hook))) : Problems.NotFound($"No webhook '{id}'.");

    /// <summary>
    /// Enables a disabled subscription (audited as <c>webhook.enabled</c> with the caller): delivery resumes from its cursor at
    /// once, the backlog in order, none missed or sent twice. Enabling an active one is a 200 that changes nothing, so a retried
    /// request or a script that enables whatever it lists is harmless.
    /// </summary>
    public static async Task<Results<Ok<WebhookView>, ProblemHttpResult>> EnableAsync(string id, WebhookStore store, WebhookDispatcher dispatcher, HttpContext context,
        CancellationToken cancellationToken)
    {
        if (await store.EnableAsync(id, Caller.From(context.User).AuditActor, cancellationToken) is not { } enabled)
            return Problems.NotFound($"No webhook '{id}'.");
        if (enabled.Enabled)
            dispatcher.Resync();
        return TypedResults.Ok(WebhookView.Of(enabled.Hook, store.Backlog(enabled.Hook)));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, WebhookStore store, WebhookDispatcher dispatcher, HttpContext context, CancellationToken cancellationToken)
    {
        if (!await store.DeleteAsync(id, Caller.From(context.User).AuditActor, cancellationToken))
            return Problems.NotFound($"No webhook '{id}'.");
        dispatcher.Resync();
        return TypedResults.NoContent();
    }
}
