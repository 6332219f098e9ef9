using System.Net;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>
/// A fitted model's manifest runs to megabytes (compliance-check's is 2.3 MB): lists of versions carry each version's
/// state and hash but not its manifest, which one version's own address gives in full. Thirty fitted versions made
/// <c>GET /v1/agents?limit=1</c> a 63 MB answer and took the server from 0.8 to 3.3 GB (qa21a).
/// </summary>
public sealed class AgentVersionManifestTests
{
    [Fact]
    public async Task ListsOfVersions_LeaveTheManifestOut_OneVersionsAddressGivesItInFull()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var reader = await app.ClientAsync("csm");

        using var list = JsonDocument.Parse(await reader.GetStringAsync("/v1/agents"));
        using var agent = JsonDocument.Parse(await reader.GetStringAsync("/v1/agents/compliance-check"));
        using var version = JsonDocument.Parse(await reader.GetStringAsync("/v1/agents/compliance-check/versions/1.0.0"));
        using var missing = await reader.GetAsync("/v1/agents/compliance-check/versions/9.9.9");

        var listed = list.RootElement.GetProperty("items").EnumerateArray().SelectMany(a => a.GetProperty("versions").EnumerateArray()).ToList();
        Assert.NotEmpty(listed);
        Assert.All(listed, v => Assert.False(v.TryGetProperty("manifest", out _), "a list of versions carried a manifest"));
        var one = Assert.Single(agent.RootElement.GetProperty("versions").EnumerateArray());
        Assert.False(one.TryGetProperty("manifest", out _));
        Assert.Equal("active", one.GetProperty("state").GetString());
        Assert.Equal(one.GetProperty("contentHash").GetString(), version.RootElement.GetProperty("contentHash").GetString());
        var manifest = version.RootElement.GetProperty("manifest");
        Assert.Equal("compliance-check", manifest.GetProperty("id").GetString());
        Assert.True(manifest.GetProperty("parameters").GetRawText().Length > 100_000, "the fitted model's parameters were not in the version's manifest");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("9.9.9", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
