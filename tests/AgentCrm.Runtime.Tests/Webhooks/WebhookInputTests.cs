using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Reviews;
using AgentCrm.Webhooks;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// What POST /v1/webhooks and the secret rotation refuse, over real HTTP: addresses that are not one public host, a port
/// nothing listens on, a CSM with no accounts, a subscription that already exists, an overlap of null.
/// </summary>
public sealed class WebhookInputTests
{
    private static readonly Dictionary<string, string?> NoPrivate = new() { ["Webhooks:AllowPrivateAddresses"] = "false" };

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, Variants.Json(json));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }

    private static async Task<int> CountAsync(AgentCrmApp app) => (await app.GetJsonAsync("/v1/webhooks")).GetProperty("items").GetArrayLength();

    [Theory]
    [InlineData("::127.0.0.1")]
    [InlineData("::169.254.169.254")]
    [InlineData("::a9fe:a9fe")]
    [InlineData("::10.0.0.1")]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("240.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("ff02::1")]
    [InlineData("ff0e::1")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("::ffff:224.0.0.1")]
    public void IsPrivate_IPv4CompatibleMulticastBroadcastAndUnspecified_AsEveryDeliveryChecksThem(string address) =>
        Assert.True(PrivateAddresses.IsPrivate(IPAddress.Parse(address)), address);

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("223.255.255.254")]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946")]
    [InlineData("::ffff:93.184.216.34")]
    [InlineData("::5db8:d822")]
    public void IsPrivate_APublicAddress_IsNot(string address) =>
        Assert.False(PrivateAddresses.IsPrivate(IPAddress.Parse(address)), address);

    [Fact]
    public async Task Create_IPv4CompatibleMulticastBroadcastOrUnspecifiedLiteral_WhenPrivateAddressesAreNotAllowed_Is400NamingUrl()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: NoPrivate);
        string[] hosts = ["[::127.0.0.1]", "[::169.254.169.254]", "[::a9fe:a9fe]", "224.0.0.1", "255.255.255.255", "[ff02::1]", "0.0.0.0", "[::]"];
        var answers = new List<string>();
        foreach (var host in hosts)
        {
            var (status, problem) = await PostAsync(app.Client, "/v1/webhooks", $$"""{"url":"http://{{host}}/x"}""");
            answers.Add($"{host}: {(int)status} {(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty("url", out var url) ? url[0].GetString() : problem.ToString())}");
        }
        Assert.All(answers, a => Assert.Contains(": 400 ", a, StringComparison.Ordinal));
        Assert.All(answers, a => Assert.Contains("Webhooks:AllowPrivateAddresses=false", a, StringComparison.Ordinal));
        Assert.Equal(0, await CountAsync(app));
    }

    [Fact]
    public async Task Create_APrivateAddress_TheDetailNamesUrlOnce()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: NoPrivate);
        var (status, problem) = await PostAsync(app.Client, "/v1/webhooks", """{"url":"http://10.1.2.3/hook"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("url: 10.1.2.3 is a private, loopback, link-local, shared, multicast, reserved, broadcast or unspecified address, which Webhooks:AllowPrivateAddresses=false refuses.",
            problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Create_PortZero_Is400NamingUrl_AndStoresNothing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (status, problem) = await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com:0/x"}""");
        Assert.True(status == HttpStatusCode.BadRequest, problem.ToString());
        Assert.StartsWith("url must name a port from 1 to 65535", problem.GetProperty("errors").GetProperty("url")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(app));
    }

    [Fact]
    public async Task RotateSecret_OverlapNull_Is400NamingOverlap_NothingRotated_LeftOutStillTakesTheSetting()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Webhooks:SecretOverlap"] = "01:00:00" });
        var (created, hook) = await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com/hook"}""");
        Assert.Equal(HttpStatusCode.Created, created);
        var id = hook.GetProperty("id").GetString()!;

        var (status, problem) = await PostAsync(app.Client, $"/v1/webhooks/{id}/secret", """{"overlap":null}""");

        Assert.True(status == HttpStatusCode.BadRequest, problem.ToString());
        Assert.StartsWith("overlap is a time span hh:mm:ss or d.hh:mm:ss, not null", problem.GetProperty("errors").GetProperty("overlap")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, (await app.GetJsonAsync($"/v1/webhooks/{id}")).GetProperty("previousSecretValidUntil").ValueKind);
        var actions = (await app.GetJsonAsync($"/v1/audit?subject=webhook:{id}")).GetProperty("items").EnumerateArray().Select(r => r.GetProperty("action").GetString());
        Assert.Equal(["webhook.created"], actions);

        var (rotated, body) = await PostAsync(app.Client, $"/v1/webhooks/{id}/secret", """{}""");
        Assert.True(rotated == HttpStatusCode.OK, body.ToString());
        Assert.Equal(JsonValueKind.String, body.GetProperty("previousSecretValidUntil").ValueKind);
    }

    [Fact]
    public async Task Create_ACsmWithNoAccounts_Is400NamingCsmId_SuggestingTheAssignedIdDifferingInCase()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (var put = await app.Client.PutAsync("/v1/csms/demo-csm/accounts", Variants.Json("""{"accounts":["acme"]}""")))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var (cased, casedProblem) = await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com/hook","csmId":"Demo-CSM"}""");
        var (unknown, unknownProblem) = await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com/hook","csmId":"zed"}""");

        Assert.True(cased == HttpStatusCode.BadRequest, casedProblem.ToString());
        Assert.StartsWith("No accounts are assigned to CSM 'Demo-CSM' (did you mean demo-csm?)", casedProblem.GetProperty("errors").GetProperty("csmId")[0].GetString(),
            StringComparison.Ordinal);
        Assert.True(unknown == HttpStatusCode.BadRequest, unknownProblem.ToString());
        var message = unknownProblem.GetProperty("errors").GetProperty("csmId")[0].GetString()!;
        Assert.StartsWith("No accounts are assigned to CSM 'zed', so", message, StringComparison.Ordinal);
        Assert.Contains("PUT /v1/csms/zed/accounts", message, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(app));

        var (created, body) = await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com/hook","csmId":"demo-csm"}""");
        Assert.True(created == HttpStatusCode.Created, body.ToString());
    }

    [Fact]
    public async Task Create_TheSameUrlAndFilters_Is409NamingTheExistingSubscription_AnotherFilterIsTaken()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (_, first) = await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com/hook"}""");
        var id = first.GetProperty("id").GetString()!;

        var (again, problem) = await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com/hook","secret":"another-secret-0123456"}""");
        var (written, writtenProblem) = await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://EXAMPLE.com:443/hook"}""");
        var (filtered, other) = await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com/hook","agentId":"renewal-risk"}""");

        Assert.True(again == HttpStatusCode.Conflict, problem.ToString());
        Assert.StartsWith($"Webhook {id} already posts to this url with the same csmId and agentId", problem.GetProperty("errors").GetProperty("url")[0].GetString(),
            StringComparison.Ordinal);
        Assert.True(written == HttpStatusCode.Conflict, writtenProblem.ToString());
        Assert.True(filtered == HttpStatusCode.Created, other.ToString());
        var (filteredAgain, _) = await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com/hook","agentId":"renewal-risk"}""");
        Assert.Equal(HttpStatusCode.Conflict, filteredAgain);
        Assert.Equal(2, await CountAsync(app));
    }
}
