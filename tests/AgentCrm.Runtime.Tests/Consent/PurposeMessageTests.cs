using System.Net;
using System.Text;

namespace AgentCrm.Runtime.Tests.Consent;

/// <summary>A purpose that is given but is no purpose name is told what is wrong with it, not that it is required.</summary>
public sealed class PurposeMessageTests
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("\"Bad Purpose\"", "purpose 'Bad Purpose' is not a purpose name: it has upper-case letters; it has a space. A manifest's purpose")]
    [InlineData("\"-churn_watch\"", "purpose '-churn_watch' is not a purpose name: it starts with a dash; it has '_'. A manifest's purpose")]
    [InlineData("\"\"", "purpose is required: a manifest's purpose (1-64 lower-case letters, digits and dashes")]
    public async Task PutConsent_BadPurpose_SaysWhatIsWrongWithIt(string purpose, string says)
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var response = await app.Client.PutAsync("/v1/customers/c1/consent", Json($$"""{"grants":[{"purpose":{{purpose}},"categories":["usage"]}]}"""));

        var message = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("grants[0].purpose")[0].GetString()!;
        Assert.StartsWith(says, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisterAgent_BadPurpose_SaysWhatIsWrongWithIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var manifest = """{"id":"purposeful","version":"1.0.0","kind":"renewal-risk","scenario":"renewal-risk","subscribes":["nps"],"reads":["nps.latest"],"purpose":"Customer Success","threshold":0.5}""";

        using var response = await app.Client.PostAsync("/v1/agents", Json(manifest));

        var message = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("purpose")[0].GetString()!;
        Assert.Contains("purpose 'Customer Success' is not a purpose name: it has upper-case letters; it has a space.", message, StringComparison.Ordinal);
    }
}
