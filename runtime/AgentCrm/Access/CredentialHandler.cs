using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AgentCrm.Access;

/// <summary>
/// One authentication scheme for both credentials of API.md: <c>X-Api-Key</c> (looked up by hash) and
/// <c>Authorization: Bearer</c> (a JWT, when configured). Challenges and refusals answer with
/// ProblemDetails: 401 without a valid credential, 403 with the wrong role.
/// </summary>
public sealed class CredentialHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    Credentials credentials, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AgentCrm";
    public const string ApiKeyHeader = Credentials.ApiKeyHeader;
    private const string FailureItem = "agentcrm:auth-failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var check = await credentials.CheckAsync(Request.Headers);
        return check.Error is { } error ? Fail(error)
            : check.Valid ? Success(Caller.Principal(check.Name!, check.Role!, check.Kind!, SchemeName))
            : AuthenticateResult.NoResult();
    }

    private AuthenticateResult Success(System.Security.Claims.ClaimsPrincipal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));

    private AuthenticateResult Fail(string reason)
    {
        Context.Items[FailureItem] = reason;
        return AuthenticateResult.Fail(reason);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var detail = Context.Items[FailureItem] as string
            ?? $"This endpoint needs a credential: an API key in {ApiKeyHeader} or a bearer token in Authorization.";
        Response.Headers.WWWAuthenticate = "ApiKey, Bearer";
        return WriteAsync(StatusCodes.Status401Unauthorized, "Unauthorized", detail);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var caller = Caller.From(Context.User);
        return WriteAsync(StatusCodes.Status403Forbidden, "Forbidden", $"The role '{caller.Role}' may not do this.");
    }

    private Task WriteAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail, Type = status == 401 ? "https://tools.ietf.org/html/rfc9110#section-15.5.2" : "https://tools.ietf.org/html/rfc9110#section-15.5.4" },
        }).AsTask();
    }
}
