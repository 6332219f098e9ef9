using System.Net;
using System.Text.RegularExpressions;
using AgentCrm.WebConsole;

namespace AgentCrm.Runtime.Tests.WebConsole;

/// <summary>
/// The web console's files over real HTTP: served without a credential (they hold no data), under a policy that lets the
/// browser run this server's script only — no inline script, no other origin — while the API keeps its own strict one.
/// The console's behaviour in a browser is tested in AgentCrm.Console.Tests.
/// </summary>
public sealed partial class ConsoleServingTests
{
    [Theory]
    [InlineData("/console", "text/html")]
    [InlineData("/console/app.js", "text/javascript")]
    [InlineData("/console/app.css", "text/css")]
    public async Task TheConsolesFiles_AreServedWithoutACredential_UnderTheConsolesPolicy(string path, string mediaType)
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var anonymous = await app.ClientAsync(role: null);

        using var response = await anonymous.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(ConsoleApi.ContentSecurityPolicy, policy);
        Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePage_LoadsItsScriptFromTheServer_AndHasNoInlineScript()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var anonymous = await app.ClientAsync(role: null);

        var html = await anonymous.GetStringAsync("/console");

        var scripts = ScriptTag().Matches(html).Select(m => m.Value).ToList();
        Assert.Equal(["<script src=\"/console/app.js\" defer>"], scripts);
        Assert.DoesNotMatch(EventHandlerAttribute(), html);
    }

    [Fact]
    public async Task TheRoot_RedirectsToTheConsole_AndTheApiKeepsItsStrictPolicy()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = app.Address };

        using var root = await anonymous.GetAsync("/");
        using var api = await app.Client.GetAsync("/v1/briefs");

        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/console", root.Headers.Location?.OriginalString);
        Assert.StartsWith("default-src 'none';", string.Join(";", api.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
    }

    [GeneratedRegex("<script[^>]*>")]
    private static partial Regex ScriptTag();

    [GeneratedRegex(@"<[^>]*\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex EventHandlerAttribute();
}
