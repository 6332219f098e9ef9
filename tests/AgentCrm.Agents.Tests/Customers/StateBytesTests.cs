using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

/// <summary>
/// A customer's whole state stays within <see cref="CustomerState.MaxStateBytes"/> as saved, whatever ids and texts intake
/// takes: under Dapr it goes to daprd in one request of at most 4 MiB, and each capacity held alone let 2,000 visits, 1,000
/// visitors and 200 tickets and invoices with 200-character ids take 2.5 MB (ASCII) to 6.9 MB (CJK) besides documents.
/// </summary>
public sealed class StateBytesTests
{
    /// <summary>How the actor hosts write state (their encoder; the runtime's tests check the saved bytes).</summary>
    private static readonly JsonSerializerOptions Stored = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private static CrmEvent E(string id, string type, DateTimeOffset at, object attributes) =>
        new(id, "c-1", type, at, "test", JsonSerializer.SerializeToElement(attributes));

    private static string Repeat(string unit, int chars) => string.Concat(Enumerable.Repeat(unit, chars / unit.Length + 1))[..chars];

    /// <summary>
    /// Every kept thing at its cap, ids and names at their longest, of <paramref name="unit"/>: documents and notices first,
    /// then 2,200 visits by as many visitors, 220 tickets, 220 invoices, 120 invoices' failed payments, 70 event types, a profile.
    /// </summary>
    private static List<CrmEvent> Everything(string unit)
    {
        var events = new List<CrmEvent>();
        var n = 0;
        string Id() => (n++).ToString("D6") + Repeat(unit, 194);
        void Add(string type, DateTimeOffset at, object attributes) => events.Add(E(Id(), type, at, attributes));
        for (var i = 0; i < CustomerState.DocumentCapacity; i++)
            Add("document", Now.AddDays(-20).AddMinutes(i), new { docType = "contract", title = Repeat(unit, CustomerState.MaxTitleChars), text = Repeat(unit, CustomerState.MaxDocumentChars) });
        for (var i = 0; i < CustomerState.NewsCapacity; i++)
            Add("news", Now.AddDays(-19).AddMinutes(i), new { title = Repeat(unit, CustomerState.MaxTitleChars), buyer = Repeat(unit, CustomerState.MaxTitleChars), description = Repeat(unit, CustomerState.MaxNewsDescriptionChars) });
        for (var i = 0; i < CustomerState.VisitCapacity + 200; i++)
            Add("web_visit", Now.AddDays(-10).AddMinutes(i), new { category = i % 7 + Repeat(unit, 199), visitorId = i + Repeat(unit, 195), visitorDomain = i + Repeat(unit, 315) });
        for (var i = 0; i < CustomerState.TicketCapacity + 20; i++)
            Add("support_ticket", Now.AddDays(-5).AddMinutes(i), new { ticketId = i + Repeat(unit, 195), status = "open" });
        for (var i = 0; i < CustomerState.InvoiceCapacity + 20; i++)
            Add("invoice", Now.AddDays(-5).AddMinutes(i), new { invoiceId = i + Repeat(unit, 195), status = "open", amount = 5 });
        for (var i = 0; i < CustomerState.FailedInvoiceCapacity + 20; i++)
            Add("payment", Now.AddDays(-4).AddMinutes(i), new { invoiceId = "p" + i + Repeat(unit, 190), status = "failed", amount = 5 });
        for (var i = 0; i < 70; i++)
            Add("t" + i + Repeat(unit, 150), Now.AddDays(-3).AddMinutes(i), new { });
        Add("profile", Now, new { name = Repeat(unit, 1000), segment = Repeat(unit, 1000), domain = Repeat(unit, 320) });
        return events;
    }

    [Fact]
    public void Of_IsTheStatesJson()
    {
        var s = new CustomerState();
        foreach (var e in Everything("界").Where((_, i) => i % 40 == 0))
            CustomerTimeline.Apply(s, e);

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(s, Stored).Length, StateBytes.Of(s));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("界")]
    public void Fold_EverythingAtItsCapWithTheLongestIds_StaysWithinMaxStateBytes_TheNewestDocumentWhole(string unit)
    {
        var s = new CustomerState();
        var i = 0;
        foreach (var e in Everything(unit))
        {
            Assert.True(CustomerTimeline.Apply(s, e));
            if (++i % 500 == 0)
                Assert.InRange(StateBytes.Of(s), 0, CustomerState.MaxStateBytes);
        }

        Assert.InRange(StateBytes.Of(s), 0, CustomerState.MaxStateBytes);
        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(s, Stored).Length, 0, CustomerState.MaxStateBytes);
        // What agents read is kept: the newest document and notice whole, the profile, the counts.
        Assert.Equal(CustomerState.MaxDocumentChars, s.Documents[^1].Text.Length);
        Assert.Equal(CustomerState.MaxNewsDescriptionChars, s.News[^1].Description!.Length);
        Assert.Equal(1000, s.Name!.Value.Length);
        Assert.Equal(i, s.EventsApplied);
        var snapshot = SnapshotBuilder.Build(s, Now);
        Assert.Equal(Repeat(unit, CustomerState.MaxDocumentChars), snapshot.Text("documents.text"));
    }

    [Fact]
    public void Fold_WhatPassesTheLimit_ForgetsTheOldestVisitsFirst_DocumentsStayWhole()
    {
        // Five Cyrillic contracts take 2 MB, kept whole; then visits with long ids push the state past the limit.
        var contract = Repeat("Договор поставки оборудования. ", CustomerState.MaxDocumentChars);
        var s = new CustomerState();
        for (var i = 0; i < CustomerState.DocumentCapacity; i++)
            CustomerTimeline.Apply(s, E($"d{i}", "document", Now.AddDays(-30).AddMinutes(i), new { docType = "contract", text = contract }));
        for (var i = 0; i < CustomerState.VisitCapacity; i++)
            CustomerTimeline.Apply(s, E($"v{i:D5}" + Repeat("界", 190), "web_visit", Now.AddDays(-5).AddMinutes(i), new { url = "/pricing", visitorId = $"u{i % 50}" + Repeat("界", 190) }));

        Assert.InRange(StateBytes.Of(s), 0, CustomerState.MaxStateBytes);
        Assert.All(s.Documents, d => Assert.Equal(contract, d.Text));
        Assert.InRange(s.WebVisits.Count, 1, CustomerState.VisitCapacity - 1);
        // The newest kept: the last visit folded is there, the forgotten are the oldest.
        Assert.StartsWith($"v{CustomerState.VisitCapacity - 1:D5}", s.WebVisits[^1].EventId);
        Assert.Equal(50, s.Visitors.Count);
    }

    [Fact]
    public void Fold_ABusyCustomerWellUnderTheLimit_ForgetsNothing()
    {
        var s = new CustomerState();
        for (var i = 0; i < CustomerState.DocumentCapacity; i++)
            CustomerTimeline.Apply(s, E($"d{i}", "document", Now.AddDays(-30).AddMinutes(i), new { docType = "contract", text = Repeat("Terms and conditions. ", 100_000) }));
        for (var i = 0; i < CustomerState.VisitCapacity; i++)
            CustomerTimeline.Apply(s, E(Guid.NewGuid().ToString(), "web_visit", Now.AddDays(-5).AddMinutes(i), new { url = "/pricing", visitorId = Guid.NewGuid().ToString(), visitorDomain = "example.com" }));
        for (var i = 0; i < CustomerState.TicketCapacity; i++)
            CustomerTimeline.Apply(s, E(Guid.NewGuid().ToString(), "support_ticket", Now.AddDays(-5).AddMinutes(i), new { ticketId = $"T-{i}" }));

        Assert.Equal(CustomerState.VisitCapacity, s.WebVisits.Count);
        Assert.Equal(CustomerState.VisitorCapacity, s.Visitors.Count);
        Assert.Equal(CustomerState.TicketCapacity, s.Tickets.Count);
        Assert.All(s.Documents, d => Assert.Equal(100_000, d.Text.Length));
    }

    private static CrmEvent Raw(string id, string type, DateTimeOffset at, string attributesJson) =>
        new(id, "c-1", type, at, "test", JsonDocument.Parse(attributesJson).RootElement.Clone());

    private static string Digits(int n) => "1" + new string('0', n - 1);

    /// <summary>A busy customer with 200-character CJK ids near the limit: 2,000 visits by 1,000 visitors, then loaded again.</summary>
    private static CustomerState NearTheLimit()
    {
        var s = new CustomerState();
        static string A(int n, int i) => (i.ToString("D6") + new string('界', n))[..n];
        for (var i = 0; i < CustomerState.VisitCapacity; i++)
            CustomerTimeline.Apply(s, E(A(200, i), "web_visit", Now.AddDays(-10).AddMinutes(i), new { category = A(200, i % 7), visitorId = A(200, i % 1000), visitorDomain = A(300, i) }));
        return JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(s, Stored), CustomerStateJson.Default.CustomerState)!;
    }

    [Fact]
    public void Fold_TextsSentAsNumbers_AreCountedToo()
    {
        // Intake takes a number wherever it takes text, and the fold keeps its digits: a notice's text of 200,000 digits
        // (rev39 #1: the bound counted only JSON strings, and the state was saved at 4.4 MB).
        var s = NearTheLimit();
        for (var i = 0; i < CustomerState.DocumentCapacity; i++)
            CustomerTimeline.Apply(s, Raw($"d{i}", "document", Now.AddDays(-1).AddMinutes(i),
                $$"""{"docType":"rfp","title":{{Digits(1000)}},"buyer":{{Digits(1000)}},"text":{{Digits(CustomerState.MaxDocumentChars)}}}"""));
        for (var i = 0; i < 15; i++)
            CustomerTimeline.Apply(s, Raw($"n{i}", "news", Now.AddDays(-1).AddMinutes(10 + i),
                $$"""{"title":{{Digits(1000)}},"buyer":{{Digits(1000)}},"description":{{Digits(CustomerState.MaxNewsDescriptionChars)}}}"""));

        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(s, Stored).Length, 0, CustomerState.MaxStateBytes);
        Assert.Equal(CustomerState.MaxDocumentChars, s.Documents[^1].Text.Length);
    }

    [Fact]
    public void Fold_AfterEntriesWrittenOutsideIt_MeasuresAgain()
    {
        // What the customer actor does after a turn's assessments: cooldown marks, each counted with StateBytes.Grew (rev39 #2:
        // 4,000 marks then one small event saved 4.05 MB unmeasured).
        var s = NearTheLimit();
        CustomerTimeline.Apply(s, Raw("x0", "login", Now, "{}"));
        for (var a = 0; a < 40; a++)
        {
            for (var f = 0; f < 100; f++)
            {
                var key = $"agent-{a:D2}-with-a-longer-id|{f:x16}";
                s.LastBriefs[key] = new BriefMark(Now, 0.5 + f / 1000.0) { CooldownDays = 30 };
                StateBytes.Grew(s, key);
            }
        }
        CustomerTimeline.Apply(s, Raw("x1", "login", Now, "{}"));

        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(s, Stored).Length, 0, CustomerState.MaxStateBytes);
        Assert.Equal(4000, s.LastBriefs.Count);
    }

    /// <summary>The state's JSON with each object's members in name order: a dictionary lists its keys in the order its slots give, which a load compacts.</summary>
    private static string Canonical(CustomerState state)
    {
        static JsonNode? Sorted(JsonNode? node) => node switch
        {
            JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
            JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
            _ => node?.DeepClone(),
        };
        return Sorted(JsonSerializer.SerializeToNode(state, Stored))!.ToJsonString(Stored);
    }

    [Fact]
    public void Fold_LoadedAgainBetweenEvents_KeepsWhatOneActivationKeeps()
    {
        // An actor deactivated and loaded again measures its state afresh: what it forgets must not depend on when.
        // Documents, notices and 1,000 visits: past the limit from the 300th visit or so.
        var events = Everything("界").Take(CustomerState.DocumentCapacity + CustomerState.NewsCapacity + 1000).ToList();
        var once = new CustomerState();
        var reloaded = new CustomerState();
        for (var i = 0; i < events.Count; i++)
        {
            CustomerTimeline.Apply(once, events[i]);
            CustomerTimeline.Apply(reloaded, events[i]);
            if (i % 97 == 0)
                reloaded = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(reloaded, Stored), CustomerStateJson.Default.CustomerState)!;
        }

        Assert.Equal(Canonical(once), Canonical(reloaded));
        Assert.True(once.WebVisits.Count < 1000, "the case passes the limit");
    }
}
