using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

/// <summary>
/// The customer actor saves and loads its state with the source-generated <see cref="CustomerStateJson"/>; every build
/// before wrote it by reflection with the Web defaults. The two must write the same bytes, and read each other's.
/// </summary>
public sealed class CustomerStateJsonTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private static CrmEvent E(string id, string type, DateTimeOffset at, object attributes) =>
        new(id, "c-1", type, at, "test", JsonSerializer.SerializeToElement(attributes));

    /// <summary>A state with every field set: each fold, fractional amounts, text that needs escaping, cooldown marks.</summary>
    private static CustomerState EveryField()
    {
        var s = new CustomerState();
        var n = 0;
        foreach (var (type, minutesAgo, attributes) in new (string, int, object)[]
        {
            ("profile", 9000, new { name = "Ünïcode & \"Quotes\" <Co>", segment = "mid-market", domain = "acme.example", customerSince = "2024-01-15T00:00:00Z" }),
            ("contract", 8000, new { contractType = "one-year", startDate = "2025-03-01T00:00:00Z", endDate = "2027-03-01T00:00:00Z", value = 1234.5, autoRenew = true, status = "active" }),
            ("usage", 7000, new { quantity = 2.5 }),
            ("usage", 10, new { quantity = 1e-3 }),
            ("usage", 9, new { quantity = 123456789.125 }),
            ("login", 60, new { }),
            ("support_ticket", 5000, new { ticketId = "T1", status = "open", priority = "high" }),
            ("support_ticket", 4000, new { ticketId = "T2", status = "resolved", priority = "normal" }),
            ("payment", 3500, new { invoiceId = "I9", status = "succeeded", amount = 10 }),
            ("invoice", 3000, new { invoiceId = "I1", amount = 99.99, status = "open", dueDate = "2026-12-01T00:00:00Z" }),
            ("payment", 2000, new { status = "failed", amount = 99.99 }),
            ("payment", 1800, new { invoiceId = "I1", status = "declined", amount = 99.99 }),
            ("nps", 1500, new { score = 3 }),
            ("web_visit", 1000, new { url = "https://vendor.example/pricing", visitorId = "v1", visitorDomain = "acme.example" }),
            ("document", 900, new { docType = "terms", title = "Terms — v2", text = "Line one\nline \"two\"\t\u00e9\u4e2d\u0001 </script>" }),
            ("news", 800, new { title = "Tender: CRM", buyer = "City of Ålesund", description = "Procurement notice" }),
            ("email", 700, new { category = "inquiry" }),
        })
            CustomerTimeline.Deliver(s, E($"e{++n}", type, Now.AddMinutes(-minutesAgo).AddTicks(n * 1234567), attributes), n, new CustomerTimeline.Delivery("inbox-a", n));
        CustomerTimeline.Deliver(s, E("p1", "usage", Now, new { quantity = 7 }));
        // Set when the customer's own visitors outnumber the visitors kept (1,000): past this small state, set directly.
        s.OwnVisitorsForgottenUntil = Now.AddDays(-40);
        s.LastBriefs["renewal-risk"] = new BriefMark(Now, 0.8125);
        s.LastBriefs["compliance|0123456789abcdef"] = new BriefMark(Now.AddDays(-1).ToOffset(TimeSpan.FromHours(2)), 1);
        return s;
    }

    [Fact]
    public void Serialize_StateWithEveryField_WritesTheReflectionBytes()
    {
        var s = EveryField();
        var reflection = JsonSerializer.SerializeToUtf8Bytes(s, Web);

        var generated = JsonSerializer.SerializeToUtf8Bytes(s, CustomerStateJson.Default.CustomerState);

        Assert.Equal(System.Text.Encoding.UTF8.GetString(reflection), System.Text.Encoding.UTF8.GetString(generated));
        Assert.Equal(reflection, generated);
        // The state above really sets every field (a field left at its default would prove nothing about its shape).
        using var doc = JsonDocument.Parse(generated);
        var empty = doc.RootElement.EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.Null || (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array && p.Value.ToString() is "{}" or "[]"))
            .Select(p => p.Name)
            .ToList();
        Assert.Empty(empty);
    }

    [Fact]
    public void Deserialize_JsonSavedByEarlierBuilds_ReadsTheSameStateAndWritesItBackUnchanged()
    {
        // As the reflection serializer wrote it, and older shapes: failures listed one by one (before the per-day count),
        // visits without the intent count, no contract/invoice "stated" times; and read as the Web defaults read (any case,
        // numbers written as strings).
        var full = JsonSerializer.SerializeToUtf8Bytes(EveryField(), Web);
        var legacy = """
            {"customerId":"c-1","lastInboxSeq":40,"recentEventIds":["a","b"],"delivered":{},"EventsApplied":"40",
             "firstEventAt":"2026-09-01T00:00:00+00:00","lastEventAt":"2026-10-30T00:00:00+00:00",
             "contract":{"type":"one-year","start":null,"end":"2027-03-01T00:00:00+00:00","value":1200,"autoRenew":true,"status":"active","eventId":"k1"},
             "usageByDay":{"20400":"3.5","20401":2},"recentUsageEventIds":[],"loginsByDay":{"20400":"2"},
             "tickets":{"T1":{"status":"open","priority":"high","openedAt":"2026-10-01T00:00:00+00:00","updatedAt":"2026-10-01T00:00:00+00:00","eventId":"t1"}},
             "paymentFailures":[{"at":"2026-10-02T09:00:00+00:00","eventId":"f1"},{"at":"2026-10-01T09:00:00+00:00","eventId":"f0"}],
             "invoices":{"I1":{"status":"open","amount":500,"dueDate":"2026-11-15T00:00:00+00:00","updatedAt":"2026-10-02T00:00:00+00:00","eventId":"i1"}},
             "nps":{"value":"4","at":"2026-10-03T00:00:00+00:00","eventId":"n1"},
             "webVisits":[{"at":"2026-10-04T00:00:00+00:00","category":"pricing","visitorId":null,"eventId":"w1"}],
             "eventsByDay":{"email":{"20400":1}},"latestEventIds":{"email":"m1"},"visitors":{},"documents":[],"news":[],"lastBriefs":{"renewal-risk":{"at":"2026-10-05T00:00:00+00:00","score":0.7}}}
            """u8.ToArray();

        foreach (var saved in new[] { full, legacy })
        {
            var byReflection = JsonSerializer.Deserialize<CustomerState>(saved, Web)!;
            var generated = JsonSerializer.Deserialize(saved, CustomerStateJson.Default.CustomerState)!;

            // The same state either way (compared through the reflection writer, which every build before used) ...
            Assert.Equal(JsonSerializer.Serialize(byReflection, Web), JsonSerializer.Serialize(generated, Web));
            // ... written back as the reflection writer writes it.
            Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(byReflection, Web), JsonSerializer.SerializeToUtf8Bytes(generated, CustomerStateJson.Default.CustomerState));
        }
        Assert.Equal(full, JsonSerializer.SerializeToUtf8Bytes(JsonSerializer.Deserialize(full, CustomerStateJson.Default.CustomerState)!, CustomerStateJson.Default.CustomerState));
        var upgraded = JsonSerializer.Deserialize(legacy, CustomerStateJson.Default.CustomerState)!;
        Assert.Equal(2, upgraded.PaymentFailuresByDay.Sum(0, int.MaxValue));
        Assert.Equal(1, upgraded.IntentVisitsByDay.Sum(0, int.MaxValue));
        Assert.Equal(3.5, upgraded.UsageByDay[20400]);
        Assert.Equal(40, upgraded.EventsApplied);
        Assert.Equal(4, upgraded.Nps!.Value);
    }
}
