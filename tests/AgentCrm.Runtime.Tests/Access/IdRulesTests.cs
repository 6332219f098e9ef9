using System.Net;
using System.Text;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>
/// Names that intake refuses are refused everywhere else too: a customer id in a consent PUT or a CSM's accounts
/// follows <c>POST /v1/events</c>'s rule, and a manifest's purpose is a name a consent grant can give. Each refusal is
/// a 400 naming the field, and nothing is stored.
/// </summary>
public sealed class IdRulesTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400 naming {field}, got {(int)response.StatusCode}: {body}");
        Assert.Null(AccessHttp.ProblemError(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body));
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"expected an error under '{field}': {errors}");
        return errors;
    }

    [Fact]
    public async Task PutConsent_CustomerIdIntakeRefuses_Is400NamingCustomerId_NothingStored()
    {
        await using var app = await AgentCrmApp.StartAsync();
        foreach (var id in new[] { "qa%01x", "qa%0A", "qa%7F", "a%5Cb", "a%3Fb", "a%23b", "%20" })
        {
            using var response = await app.Client.PutAsync($"/v1/customers/{id}/consent", Json("""{"grants":[{"purpose":"customer-success","categories":["usage"]}]}"""));
            await ProblemAsync(response, "customerId");
        }
        Assert.Equal(0, (await app.GetJsonAsync("/v1/audit?action=consent.updated")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task PutConsent_LongestIdIntakeTakes_IsAccepted_OneMore_Is400()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var longest = new string('c', 200);
        using (var ok = await app.Client.PutAsync($"/v1/customers/{longest}/consent", Json("""{"grants":[]}""")))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var tooLong = await app.Client.PutAsync($"/v1/customers/{longest}c/consent", Json("""{"grants":[]}"""));
        await ProblemAsync(tooLong, "customerId");
    }

    [Fact]
    public async Task PutConsent_PurposeWithATrailingNewline_Is400()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var response = await app.Client.PutAsync("/v1/customers/acme/consent", Json("""{"grants":[{"purpose":"marketing\n","categories":["*"]}]}"""));
        await ProblemAsync(response, "grants[0].purpose");
        using var missing = await app.Client.GetAsync("/v1/customers/acme");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task AssignAccounts_AccountIntakeRefuses_Is400NamingIt_AndTheOldAssignmentStays()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (var ok = await app.Client.PutAsync("/v1/csms/csm-anna/accounts", Json("""{"accounts":["acme"]}""")))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        using var response = await app.Client.PutAsync("/v1/csms/csm-anna/accounts", Json("""{"accounts":["initech","a\u0000b","../x","a/b","."]}"""));

        var errors = await ProblemAsync(response, "accounts[1]");
        foreach (var i in new[] { 2, 3, 4 })
            Assert.True(errors.TryGetProperty($"accounts[{i}]", out _), $"accounts[{i}] not named: {errors}");
        Assert.False(errors.TryGetProperty("accounts[0]", out _));
        var accounts = (await app.GetJsonAsync("/v1/csms/csm-anna/accounts")).GetProperty("accounts").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Equal(["acme"], accounts);
    }

    [Fact]
    public async Task AssignAccounts_CsmIdWithATrailingNewline_Is400()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var response = await app.Client.PutAsync("/v1/csms/anna%0A/accounts", Json("""{"accounts":["acme"]}"""));
        await ProblemAsync(response, "csmId");
    }

    [Fact]
    public async Task ReadAccounts_CsmIdNoKeyCanHave_Is400NamingCsmId_NotAnEmptyList()
    {
        await using var app = await AgentCrmApp.StartAsync();
        foreach (var csmId in new[] { "anna%0A", "bad%20id", new string('c', 65) })
        {
            using var response = await app.Client.GetAsync($"/v1/csms/{csmId}/accounts");
            await ProblemAsync(response, "csmId");
        }
    }

    [Fact]
    public async Task RegisterAgent_PurposeNoGrantCanName_Is400NamingPurpose_NotRegistered()
    {
        await using var app = await AgentCrmApp.StartAsync();
        foreach (var purpose in new[] { "../x", "Customer Success", "*", "customer-success\n", "-leading-dash", new string('p', 65) })
        {
            var manifest = JsonSerializer.Serialize(new
            {
                id = "purpose-probe", version = "1.0.0", kind = "renewal-risk", scenario = "renewal-risk",
                subscribes = new[] { "nps" }, reads = new[] { "nps.latest" }, purpose, threshold = 0.5,
            });
            using var response = await app.Client.PostAsync("/v1/agents", Json(manifest));
            await ProblemAsync(response, "purpose");
        }
        using var agent = await app.Client.GetAsync("/v1/agents/purpose-probe");
        Assert.Equal(HttpStatusCode.NotFound, agent.StatusCode);

        // The names a grant can give still register.
        var valid = JsonSerializer.Serialize(new
        {
            id = "purpose-probe", version = "1.0.0", kind = "renewal-risk", scenario = "renewal-risk",
            subscribes = new[] { "nps" }, reads = new[] { "nps.latest" }, purpose = "retention-2027", threshold = 0.5,
        });
        using var registered = await app.Client.PostAsync("/v1/agents", Json(valid));
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
    }
}
