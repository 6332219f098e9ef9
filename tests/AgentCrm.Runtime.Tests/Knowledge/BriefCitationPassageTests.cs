using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>
/// What a brief cites, over real HTTP: every citation names one real passage of its document (the section that holds
/// its chunk, the chunk's text quoted), each passage once, best score first; and the citations follow the brief's own
/// reasons rather than the passage that matches the agent's whole topic (a playbook's introduction).
/// </summary>
public sealed partial class BriefCitationPassageTests
{
    private const string Handbook = """
        # Rescue handbook
        ## Renewal rescue
        ### Step one
        Phone the sponsor the same week. Tickets still open must be fixed first. Nobody likes waiting for a fix.
        ### Step two
        Offer an annual contract instead of a month-to-month contract. Do this before the contract ends and before renewal.
        """;

    [Fact]
    public async Task Brief_DocumentWithNestedHeadings_CitesRealPassagesOnceEach()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await UploadAsync(app, "nested", Handbook);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);

        // Month-to-month ending in 30 days, 4 open tickets, NPS 2: the renewal-risk agent fires.
        var events = new List<System.Text.Json.Nodes.JsonObject>
        {
            Ev.Make("rescue", "profile", now.AddDays(-10), new { name = "Rescue Co" }),
            Ev.Make("rescue", "contract", now.AddDays(-9), new { contractType = "month-to-month", endDate = now.AddDays(30).ToString("O") }),
        };
        for (var i = 1; i <= 4; i++)
            events.Add(Ev.Make("rescue", "support_ticket", now.AddDays(-8 + i), new { ticketId = $"T{i}", status = "open" }));
        events.Add(Ev.Make("rescue", "nps", now.AddDays(-1), new { score = 2 }));
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();

        var briefs = await app.BriefsAsync("&customerId=rescue&agentId=renewal-risk");
        Assert.NotEmpty(briefs);
        var sections = await SectionsAsync(app, "nested");
        foreach (var brief in briefs)
        {
            var citations = brief.GetProperty("citations").EnumerateArray().ToList();
            Assert.NotEmpty(citations);
            AssertRealPassages(citations, sections, Handbook);
        }

        // The search endpoint answers the same way.
        var hits = (await app.GetJsonAsync("/v1/knowledge/search?documentId=nested&q=" + Uri.EscapeDataString(
            "renewal risk churn playbook next steps. month-to-month contract. contract ends in 30 days. 4 unresolved tickets"))).GetProperty("items").EnumerateArray().ToList();
        Assert.NotEmpty(hits);
        AssertRealPassages(hits, sections, Handbook, ordered: false);
    }

    [Fact]
    public async Task Brief_LowNpsAmongTopReasons_CitesTheLowNpsSectionNotTheIntroduction()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var playbook = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "knowledge", "data", "renewal-playbook.md"));
        await UploadAsync(app, "renewal-playbook", playbook);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);

        // Contract ends in 60 days (auto-renew off), 4 open tickets, then NPS 1 makes it fire: NPS, tickets, contract lead.
        var events = new List<System.Text.Json.Nodes.JsonObject>
        {
            Ev.Make("detractor", "profile", now.AddDays(-10), new { name = "Detractor Inc" }),
            Ev.Make("detractor", "contract", now.AddDays(-9), new { contractType = "One year", endDate = now.AddDays(60).ToString("O"), autoRenew = false }),
        };
        for (var i = 1; i <= 4; i++)
            events.Add(Ev.Make("detractor", "support_ticket", now.AddDays(-8 + i), new { ticketId = $"T{i}", status = "open" }));
        events.Add(Ev.Make("detractor", "nps", now.AddDays(-1), new { score = 1 }));
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();

        var brief = Assert.Single(await app.BriefsAsync("&customerId=detractor&agentId=renewal-risk"));
        Assert.Equal("nps.latest", brief.GetProperty("reasons")[0].GetProperty("field").GetString());
        var citations = brief.GetProperty("citations").EnumerateArray().ToList();
        var cited = citations.Select(c => c.GetProperty("section").GetString()).ToList();
        Assert.Contains("5. Low NPS", cited);
        Assert.Contains("3. Unresolved support tickets", cited);
        Assert.DoesNotContain("Renewal playbook", cited);
        var scores = citations.Select(c => c.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
    }

    private static async Task UploadAsync(AgentCrmApp app, string id, string markdown)
    {
        var created = await app.Client.PostAsync($"/v1/knowledge/documents?id={id}&scenario=renewal-risk", new StringContent(markdown, Encoding.UTF8, "text/markdown"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    private static async Task<Dictionary<string, string>> SectionsAsync(AgentCrmApp app, string id) =>
        (await app.GetJsonAsync($"/v1/knowledge/documents/{id}")).GetProperty("sections").EnumerateArray()
            .SelectMany(s => s.GetProperty("chunkIds").EnumerateArray().Select(c => (Chunk: c.GetString()!, Heading: s.GetProperty("heading").GetString()!)))
            .ToDictionary(p => p.Chunk, p => p.Heading);

    /// <summary>Each names a chunk of the document under its own section and quotes the document; no chunk twice; best score first.</summary>
    private static void AssertRealPassages(List<JsonElement> cited, Dictionary<string, string> sectionOfChunk, string document, bool ordered = true)
    {
        var text = Spaces().Replace(document, " ");
        foreach (var c in cited)
        {
            var chunk = c.GetProperty("chunkId").GetString()!;
            Assert.True(sectionOfChunk.TryGetValue(chunk, out var section), $"{chunk} is not a chunk of the document");
            Assert.Equal(section, c.GetProperty("section").GetString());
            var snippet = c.GetProperty("snippet").GetString()!.TrimEnd('…');
            Assert.True(text.Contains(snippet, StringComparison.Ordinal), $"the snippet is not the document's text: {snippet}");
        }

        Assert.Equal(cited.Count, cited.Select(c => c.GetProperty("chunkId").GetString()).Distinct().Count());
        if (ordered)
        {
            var scores = cited.Select(c => c.GetProperty("score").GetDouble()).ToList();
            Assert.Equal(scores.OrderDescending(), scores);
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
