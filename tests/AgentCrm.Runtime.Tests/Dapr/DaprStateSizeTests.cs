using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using AgentCrm.Actors.Tests.Dapr;
using AgentCrm.Agents.Customers;
using AgentCrm.Customers;
using AgentCrm.Dapr;

namespace AgentCrm.Runtime.Tests.Dapr;

/// <summary>
/// Under Dapr a turn's state goes to daprd in one transaction, which daprd takes up to its <c>--max-body-size</c> (4 MiB by
/// default, as the stand-in here): every event intake accepts applies as under the embedded host, whatever its documents
/// and news hold. qa38b #1: of five 200,000-letter Cyrillic contracts, three applied; every save after was 4.3 MB (each
/// letter written as a 6-byte \uXXXX), refused 413, and the events were dead letters for good.
/// </summary>
public sealed class DaprStateSizeTests
{
    private const string AppToken = "app-secret";

    private static async Task<(AgentCrmApp App, FakeDaprd Daprd)> StartDaprAsync()
    {
        var daprd = await FakeDaprd.StartAsync(appToken: AppToken);
        var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Runtime:Host"] = "Dapr",
            ["Dapr:HttpEndpoint"] = daprd.Endpoint.ToString(),
            ["Dapr:AppApiToken"] = AppToken,
        });
        await daprd.ConnectAppAsync(app.Client.BaseAddress!, subscribe: true);
        return (app, daprd);
    }

    private static string Repeat(string unit, int chars) => string.Concat(Enumerable.Repeat(unit, chars / unit.Length + 1))[..chars];

    private static async Task PostAsync(AgentCrmApp app, JsonObject e)
    {
        using var response = await app.PostEventsAsync([e]);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private static CustomerState StateIn(FakeDaprd daprd, string customerId) =>
        JsonSerializer.Deserialize(daprd.StateOf(new ActorId(CustomerActor.TypeName, customerId), CustomerActor.StateKey)!, CustomerStateJson.Default.CustomerState)!;

    /// <summary>Every state transaction the app sent daprd fits the body limit both run with, and none was refused.</summary>
    private static async Task AssertEverySaveFitsAsync(AgentCrmApp app, FakeDaprd daprd)
    {
        var saves = daprd.Received.Where(r => r.Method is "POST" or "PUT" && r.Path.EndsWith("/state", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(saves);
        Assert.All(saves, s => Assert.InRange(Encoding.UTF8.GetByteCount(s.Body), 1, DaprOptions.DefaultMaxBodyBytes));
        Assert.Equal(DaprOptions.DefaultMaxBodyBytes, daprd.MaxBodyBytes);
        Assert.Empty(daprd.DeadLettered);
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Documents_FiveCyrillicContracts_AllApplyWholeAndEverySaveFitsDaprdsBodyLimit()
    {
        var (app, daprd) = await StartDaprAsync();
        await using var _d = daprd;
        await using var _a = app;
        var contract = Repeat("Договор поставки оборудования, «Ромашка». ", CustomerState.MaxDocumentChars);

        for (var i = 0; i < 5; i++)
            await PostAsync(app, Ev.Make("acme", "document", DateTimeOffset.UtcNow.AddHours(i - 10), new { docType = "contract", title = $"Договор {i}", text = contract }));
        await app.WaitForProcessingAsync();
        await daprd.WaitForDeliveriesAsync();

        await AssertEverySaveFitsAsync(app, daprd);
        var state = StateIn(daprd, "acme");
        Assert.Equal(5, state.EventsApplied);
        Assert.Equal(5, state.Documents.Count);
        Assert.All(state.Documents, d => Assert.Equal(contract, d.Text));
    }
}
