using System.Net;
using System.Text;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>POST /v1/agents/fit refuses a version a manifest registered now could not have (qa28: `01.0.0` → 202, and the job registered it).</summary>
public sealed class FitVersionRuleApiTests
{
    [Theory]
    [InlineData("01.0.0", "a version number has no leading zeros (01)")]
    [InlineData("1.0.0-01", "a numeric part of the suffix has no leading zeros (01)")]
    public async Task Fit_VersionWithALeadingZero_Is400NamingVersion_AndRegistersNothing(string version, string rule)
    {
        await using var app = await AgentCrmApp.StartAsync();
        var before = (await app.GetJsonAsync("/v1/agents/renewal-risk")).GetProperty("versions").GetArrayLength();

        using var response = await app.Client.PostAsync("/v1/agents/fit",
            new StringContent($$"""{"kind":"renewal-risk","caseSet":"iranian-churn","version":"{{version}}"}""", Encoding.UTF8, "application/json"));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal($"version '{version}' is not a SemVer version: {rule}.", problem.GetProperty("errors").GetProperty("version")[0].GetString());
        Assert.Equal(before, (await app.GetJsonAsync("/v1/agents/renewal-risk")).GetProperty("versions").GetArrayLength());
    }
}
