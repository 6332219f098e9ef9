using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>
/// Brief citations' searches are kept per knowledge version, over real HTTP: two customers in the same plight give the
/// same reasons, so the second brief asks exactly the searches the first did; a change to the knowledge between them
/// (an ingest, a delete, a document filed under another scenario) must reach the second brief all the same.
/// </summary>
public sealed class CitationCacheTests
{
    private const string Handbook = """
        # Rescue handbook
        ## Renewal rescue
        ### Unresolved tickets
        Fix the open support tickets first and phone the sponsor the same week.
        ### Month-to-month contracts
        Offer an annual contract instead of a month-to-month contract before the contract ends.
        ### Low NPS
        Call every detractor with a low NPS score and agree a recovery plan.
        """;

    [Fact]
    public async Task Brief_DocumentIngestedAfterAnEqualBrief_CitesIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await UploadAsync(app, "parking", "# Office notes\n## Parking\nVisitors park behind the building; the gate opens at eight.", "renewal-risk", HttpStatusCode.Created);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var before = await BriefAsync(app, "before", now);
        Assert.DoesNotContain("handbook", Cited(before));

        await UploadAsync(app, "handbook", Handbook, "renewal-risk", HttpStatusCode.Created);
        var after = await BriefAsync(app, "after", now);

        Assert.Equal(Reasons(before), Reasons(after));
        Assert.Contains("handbook", Cited(after));
    }

    [Fact]
    public async Task Brief_DocumentDeletedAfterAnEqualBrief_DoesNotCiteIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await UploadAsync(app, "handbook", Handbook, "renewal-risk", HttpStatusCode.Created);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var before = await BriefAsync(app, "before", now);
        Assert.Contains("handbook", Cited(before));
        // Asked again with nothing changed, the searches are answered from the cache, and cite what they found.
        var twin = await BriefAsync(app, "twin", now);
        Assert.Equal(before.GetProperty("citations").GetRawText(), twin.GetProperty("citations").GetRawText());

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.DeleteAsync("/v1/knowledge/documents/handbook")).StatusCode);
        var after = await BriefAsync(app, "after", now);

        Assert.Equal(Reasons(before), Reasons(after));
        Assert.Empty(Cited(after));
    }

    [Fact]
    public async Task Brief_DocumentFiledUnderTheAgentsScenarioAfterAnEqualBrief_CitesIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await UploadAsync(app, "handbook", Handbook, "compliance-check", HttpStatusCode.Created);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var before = await BriefAsync(app, "before", now);
        Assert.Empty(Cited(before));

        // The same content under another scenario: only the metadata changes, nothing is embedded again.
        await UploadAsync(app, "handbook", Handbook, "renewal-risk", HttpStatusCode.OK);
        var after = await BriefAsync(app, "after", now);

        Assert.Equal(Reasons(before), Reasons(after));
        Assert.Contains("handbook", Cited(after));
    }

    [Fact]
    public async Task Brief_DocumentIngestedByTheCliBesideTheServerAfterAnEqualBrief_CitesIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await UploadAsync(app, "parking", "# Office notes\n## Parking\nVisitors park behind the building; the gate opens at eight.", "renewal-risk", HttpStatusCode.Created);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var before = await BriefAsync(app, "before", now);
        Assert.DoesNotContain("handbook", Cited(before));

        // Filed under no scenario, as the CLI ingests it: every agent may cite it.
        var docs = Directory.CreateDirectory(Path.Combine(TempDirectory.Create(), "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "handbook.md"), Handbook);
        var ingested = await Cli.CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", app.DataDirectory]);
        Assert.True(ingested.ExitCode == 0, ingested.Stderr);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!(await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").EnumerateArray().Any(d => d.GetProperty("id").GetString() == "handbook"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the server did not take in the document the CLI ingested within 15 s");
            await Task.Delay(200);
        }

        var after = await BriefAsync(app, "after", now);

        Assert.Equal(Reasons(before), Reasons(after));
        Assert.Contains("handbook", Cited(after));
    }

    private static async Task UploadAsync(AgentCrmApp app, string id, string markdown, string scenario, HttpStatusCode expected)
    {
        var response = await app.Client.PostAsync($"/v1/knowledge/documents?id={id}&scenario={scenario}", new StringContent(markdown, Encoding.UTF8, "text/markdown"));
        Assert.Equal(expected, response.StatusCode);
    }

    /// <summary>Month-to-month ending in 30 days, 4 open tickets, NPS 2: the renewal-risk agent fires, with the same reasons for every customer.</summary>
    private static async Task<JsonElement> BriefAsync(AgentCrmApp app, string customerId, DateTimeOffset now)
    {
        var events = new List<JsonObject>
        {
            Ev.Make(customerId, "profile", now.AddDays(-10), new { name = "Rescue Co" }),
            Ev.Make(customerId, "contract", now.AddDays(-9), new { contractType = "month-to-month", endDate = now.AddDays(30).ToString("O") }),
        };
        for (var i = 1; i <= 4; i++)
            events.Add(Ev.Make(customerId, "support_ticket", now.AddDays(-8 + i), new { ticketId = $"T{i}", status = "open" }));
        events.Add(Ev.Make(customerId, "nps", now.AddDays(-1), new { score = 2 }));
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();
        // A brief fires at the third open ticket already; the one for the whole plight is the one with the NPS.
        return Assert.Single(await app.BriefsAsync($"&customerId={customerId}&agentId=renewal-risk"), b => Reasons(b).Contains("NPS 2"));
    }

    private static List<string> Cited(JsonElement brief) =>
        [.. brief.GetProperty("citations").EnumerateArray().Select(c => c.GetProperty("documentId").GetString()!)];

    private static List<string> Reasons(JsonElement brief) =>
        [.. brief.GetProperty("reasons").EnumerateArray().Select(r => r.GetProperty("explanation").GetString()!)];
}
