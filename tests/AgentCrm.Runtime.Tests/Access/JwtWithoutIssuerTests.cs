using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Runtime.Tests.Server;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>
/// JWT is on when Auth:Jwt:Issuer is set. Audience and keys given without it were ignored: the server started, and every
/// bearer token answered 401 "Auth:Jwt is not configured" (qa33c). The start is refused instead, naming the missing key.
/// </summary>
public sealed class JwtWithoutIssuerTests
{
    [Fact]
    public async Task JwtAudienceAndKeys_WithoutAnIssuer_RefuseTheStartInOneLineNamingTheIssuer()
    {
        var data = Path.Combine(TempDirectory.Create(), "data");
        var environment = new Dictionary<string, string>
        {
            ["Storage__DataDirectory"] = data,
            ["Auth__Jwt__Audience"] = "audience",
            ["Auth__Jwt__SymmetricKeys__0"] = "c2VjcmV0LXNpZ25pbmcta2V5LW9mLXRoaXJ0eS10d28tYnl0ZXMh",
        };

        var result = await CliRunner.RunAsync(["serve", "--urls", $"http://127.0.0.1:{ServeProcess.FreePort()}"], environment, TimeSpan.FromSeconds(30));

        Assert.Equal("agentcrm: invalid configuration: Auth:Jwt:Issuer is required when Auth:Jwt:Audience, Auth:Jwt:SymmetricKeys or Auth:Jwt:PublicKeysPem is set (without it bearer tokens are not accepted).",
            DataDirectoryStartTests.OneLineFailure(result));
        Assert.False(Directory.Exists(data), "a start refused for its settings created the data directory");
    }
}
