using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Reviews;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// <c>"secret": null</c> is refused naming <c>secret</c>, at creation and rotation, as every other named top-level null is:
/// the README generates a secret only when it is left out, and null was read as left out (a 201 with a generated secret).
/// </summary>
public sealed class WebhookNullSecretTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, Variants.Json(json));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }

    [Fact]
    public async Task SecretNull_Is400NamingSecret_NothingCreatedOrRotated_LeftOutIsGenerated()
    {
        await using var app = await AgentCrmApp.StartAsync();

        var (nullCreate, createProblem) = await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com/hook","secret":null}""");
        Assert.True(nullCreate == HttpStatusCode.BadRequest, createProblem.ToString());
        Assert.Equal("secret is 16-256 printable ASCII characters without spaces, not null; omit secret to have one generated.",
            createProblem.GetProperty("errors").GetProperty("secret")[0].GetString());
        Assert.Equal(0, (await app.GetJsonAsync("/v1/webhooks")).GetProperty("items").GetArrayLength());

        var (created, hook) = await PostAsync(app.Client, "/v1/webhooks", """{"url":"https://example.com/hook"}""");
        Assert.True(created == HttpStatusCode.Created, hook.ToString());
        var id = hook.GetProperty("id").GetString()!;
        Assert.StartsWith("whsec_", hook.GetProperty("secret").GetString(), StringComparison.Ordinal);

        var (nullRotate, rotateProblem) = await PostAsync(app.Client, $"/v1/webhooks/{id}/secret", """{"secret":null,"overlap":"00:00:00"}""");
        Assert.True(nullRotate == HttpStatusCode.BadRequest, rotateProblem.ToString());
        Assert.StartsWith("secret is 16-256 printable ASCII characters without spaces, not null", rotateProblem.GetProperty("errors").GetProperty("secret")[0].GetString(),
            StringComparison.Ordinal);
        var actions = (await app.GetJsonAsync($"/v1/audit?subject=webhook:{id}")).GetProperty("items").EnumerateArray().Select(r => r.GetProperty("action").GetString());
        Assert.Equal(["webhook.created"], actions);
    }
}
