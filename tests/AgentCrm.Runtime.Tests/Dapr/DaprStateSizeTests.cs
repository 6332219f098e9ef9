using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using AgentCrm.Actors.Tests.Dapr;
using AgentCrm.Agents.Customers;
using AgentCrm.Customers;
using AgentCrm.Dapr;
using AgentCrm.Runtime.Tests.Customers;

namespace AgentCrm.Runtime.Tests.Dapr;

/// <summary>
/// Under Dapr a turn's state goes to daprd in one transaction, which daprd takes up to its <c>--max-body-size</c> (4 MiB by
/// default, as the stand-in here): every event intake accepts applies as under the embedded host, whatever its documents
/// and news hold. qa38b #1: of five 200,000-letter Cyrillic contracts, three applied; every save after was 4.3 MB (each
/// letter written as a 6-byte \uXXXX), refused 413, and the events were dead letters for good.
/// </summary>
public sealed class DaprStateSizeTests
{
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
        var (app, daprd) = await DaprEndToEndTests.StartAsync();
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

    [Fact]
    public async Task DocumentsAndNews_WorstCaseText_AllApply_EverySaveFits_AndBothHostsKeepTheSame()
    {
        var events = WorstCase("globex");

        var (app, daprd) = await DaprEndToEndTests.StartAsync();
        CustomerState underDapr;
        await using (daprd)
        await using (app)
        {
            // One at a time, on either host: the same events folded in the same order.
            foreach (var e in events)
            {
                await PostAsync(app, e);
                await app.WaitForProcessingAsync();
                await daprd.WaitForDeliveriesAsync();
            }
            await AssertEverySaveFitsAsync(app, daprd);
            underDapr = StateIn(daprd, "globex");
        }

        var dir = TempDirectory.Create();
        await using (var embedded = await AgentCrmApp.StartAsync(dir))
        {
            foreach (var e in events)
            {
                await PostAsync(embedded, e);
                await embedded.WaitForProcessingAsync();
            }
        }
        var embeddedState = JsonSerializer.Deserialize(SavedStateJsonTests.Load(dir, "globex"), CustomerStateJson.Default.CustomerState)!;

        Assert.Equal(events.Count, underDapr.EventsApplied);
        Assert.Equal(events.Count, embeddedState.EventsApplied);
        Assert.Equal(JsonSerializer.Serialize(embeddedState.Documents), JsonSerializer.Serialize(underDapr.Documents));
        Assert.Equal(JsonSerializer.Serialize(embeddedState.News), JsonSerializer.Serialize(underDapr.News));
        // The newest document and news item, which the agents read, are kept whole.
        Assert.Equal(CustomerState.MaxDocumentChars, underDapr.Documents[^1].Text.Length);
        Assert.Equal(CustomerState.MaxNewsDescriptionChars, underDapr.News[^1].Description!.Length);
        Assert.Equal(CustomerState.DocumentCapacity, underDapr.Documents.Count);
        Assert.Equal(CustomerState.NewsCapacity, underDapr.News.Count);
    }

    [Fact]
    public async Task AStatePastTheLimit_WithVisitsOfTheLongestIds_AllApply_EverySaveFits_OlderTextsCutBeforeRecentVisits()
    {
        // Documents and news at their caps take 3 MiB; each visit with 200-character ids of emoji (6 bytes a character
        // saved) about 11 KB more. Before the whole state was held within CustomerState.MaxStateBytes, the 50th such visit
        // made the save pass daprd's 4 MiB, and that event and every later one of the customer were dead letters. Now the
        // older documents' and notices' texts go before the newest 256 visits, which the web fields read.
        var events = WorstCase("initech");
        var at = DateTimeOffset.UtcNow.AddDays(-1);
        const int visits = 150;
        var visitEvents = new List<JsonObject>();
        for (var i = 0; i < visits; i++)
        {
            visitEvents.Add(Ev.Make("initech", "web_visit", at.AddMinutes(i), new
            {
                url = "/pricing",
                category = $"{i}" + Repeat("😀", 196),
                visitorId = $"{i}" + Repeat("😀", 196),
                visitorDomain = $"{i}" + Repeat("😀", 316),
            }, id: $"visit-{i}-" + Repeat("😀", 190)));
        }
        static long OlderTexts(CustomerState s) => s.Documents[..^1].Sum(d => d.Text.Length) + s.News[..^1].Sum(n => n.Description?.Length ?? 0);

        var (app, daprd) = await DaprEndToEndTests.StartAsync();
        CustomerState before, underDapr;
        await using (daprd)
        await using (app)
        {
            await PostAllAsync(app, events, [], daprd);
            before = StateIn(daprd, "initech");
            await PostAllAsync(app, [], visitEvents);
            // 150 turns of one actor, each saving about 3.5 MB to daprd one after another: 15-35 s in a Debug build on a
            // loaded 2-core CI machine, so the wait is a hang guard, not a speed check.
            await daprd.WaitForDeliveriesAsync(TimeSpan.FromMinutes(3));
            await AssertEverySaveFitsAsync(app, daprd);
            underDapr = StateIn(daprd, "initech");
        }

        var dir = TempDirectory.Create();
        await using (var embedded = await AgentCrmApp.StartAsync(dir))
            await PostAllAsync(embedded, events, visitEvents);
        var saved = SavedStateJsonTests.Load(dir, "initech");
        var embeddedState = JsonSerializer.Deserialize(saved, CustomerStateJson.Default.CustomerState)!;

        foreach (var state in new[] { underDapr, embeddedState })
        {
            Assert.Equal(events.Count + visits, state.EventsApplied);
            Assert.Equal(visits, state.WebVisits.Count);
            Assert.Equal(visits, state.Visitors.Count);
            // What the agents read is whole: the newest document and notice.
            Assert.Equal(CustomerState.MaxDocumentChars, state.Documents[^1].Text.Length);
            Assert.Equal(CustomerState.MaxNewsDescriptionChars, state.News[^1].Description!.Length);
            Assert.True(OlderTexts(state) < OlderTexts(before), $"older texts {OlderTexts(state)} of {OlderTexts(before)}");
        }
        // What the embedded host saved is what the fold measured.
        Assert.InRange(saved.Length, 1, CustomerState.MaxStateBytes);
        Assert.Equal(StateBytes.Of(embeddedState), saved.Length);
    }

    /// <summary>The documents and notices one at a time (their order decides which text is cut), then the visits in batches of 25.</summary>
    private static async Task PostAllAsync(AgentCrmApp app, List<JsonObject> events, List<JsonObject> batched, FakeDaprd? daprd = null)
    {
        foreach (var e in events)
        {
            await PostAsync(app, e);
            await app.WaitForProcessingAsync();
            if (daprd is not null)
                await daprd.WaitForDeliveriesAsync();
        }
        foreach (var batch in batched.Chunk(25))
        {
            using var response = await app.PostEventsAsync([.. batch]);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        await app.WaitForProcessingAsync();
    }

    /// <summary>
    /// Documents and news at every cap, of the text that takes the most bytes stored: CJK (3 a character), control characters
    /// and emoji (6), quotes and backslashes (2), Cyrillic; ids of emoji.
    /// </summary>
    private static List<JsonObject> WorstCase(string customerId)
    {
        string[] texts = ["契約書第一条", "\u0001\u0002\u001f", "😀🚀", "\"\\\"", "Договор ", "\u0085\u2028\u0378"];
        var at = DateTimeOffset.UtcNow.AddDays(-2);
        var events = new List<JsonObject>();
        for (var i = 0; i < CustomerState.DocumentCapacity + 1; i++)
        {
            var unit = texts[i % texts.Length];
            events.Add(Ev.Make(customerId, "document", at.AddMinutes(i), new
            {
                docType = "contract",
                title = Repeat(unit, CustomerState.MaxTitleChars),
                text = Repeat(unit, CustomerState.MaxDocumentChars),
            }, id: $"doc-{i}-" + Repeat("😀", 190)));
        }
        for (var i = 0; i < CustomerState.NewsCapacity + 2; i++)
        {
            var unit = texts[i % texts.Length];
            events.Add(Ev.Make(customerId, "news", at.AddHours(1).AddMinutes(i), new
            {
                title = Repeat(unit, CustomerState.MaxTitleChars),
                buyer = Repeat(unit, CustomerState.MaxTitleChars),
                description = Repeat(unit, CustomerState.MaxNewsDescriptionChars),
            }, id: $"news-{i}-" + Repeat("😀", 190)));
        }
        return events;
    }
}
