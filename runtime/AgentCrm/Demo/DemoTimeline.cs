using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentCrm.Demo;

/// <summary>
/// The bundled demo: 40 fictional customers with 60 days of history each, about a third of them drifting
/// towards churn (contract ending, falling usage, tickets, failed payments, low NPS). Deterministic for a
/// given end time; event ids are stable, so feeding it twice stores nothing new.
/// </summary>
public static class DemoTimeline
{
    private static readonly string[] Names =
    [
        "Acme Corp", "Globex", "Initech", "Umbrella Health", "Stark Logistics", "Wayne Retail", "Hooli", "Vandelay Imports",
        "Soylent Foods", "Tyrell Systems", "Cyberdyne Labs", "Wonka Confections", "Gringotts Finance", "Oscorp Energy", "Aperture Science", "Monarch Media",
        "Nakatomi Trading", "Pied Piper", "Massive Dynamic", "Dunder Mifflin", "Prestige Worldwide", "Blue Sun", "Virtucon", "Sirius Cybernetics",
        "Octan Fuels", "Ollivander Crafts", "Bluth Homes", "Sterling Cooper", "Krusty Foods", "Duff Brewing", "Gekko Capital", "Rekall Travel",
        "Weyland Mining", "InGen Bio", "Abstergo Insights", "Black Mesa", "Zorg Industries", "Veidt Labs", "Kramerica", "Contoso Retail",
    ];

    public static int CustomerCount => Names.Length;

    /// <summary>Event JSON objects (API format), oldest first, ending just before <paramref name="end"/>.</summary>
    public static List<JsonObject> Generate(DateTimeOffset end)
    {
        end = new DateTimeOffset(end.Year, end.Month, end.Day, end.Hour, 0, 0, TimeSpan.Zero).AddHours(-1);
        var random = new Random(20261122);
        var events = new List<JsonObject>();
        for (var c = 0; c < Names.Length; c++)
        {
            var id = $"demo-{c + 1:00}";
            var atRisk = c % 3 == 0;
            var n = 0;
            void Add(string type, DateTimeOffset at, object attributes) => events.Add(new JsonObject
            {
                ["id"] = $"{id}-e{++n:000}",
                ["customerId"] = id,
                ["type"] = type,
                ["occurredAt"] = at.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                ["source"] = "demo",
                ["attributes"] = JsonSerializer.SerializeToNode(attributes),
            });

            var start = end.AddDays(-60);
            var since = end.AddDays(-(atRisk ? random.Next(60, 300) : random.Next(400, 2000)));
            Add("profile", start, new { name = Names[c], segment = c % 2 == 0 ? "mid-market" : "enterprise", domain = Names[c].ToLowerInvariant().Replace(' ', '-') + ".example", customerSince = Day(since) });
            var contractType = atRisk ? (c % 2 == 0 ? "month-to-month" : "one-year") : (c % 2 == 0 ? "two-year" : "one-year");
            var endsIn = atRisk ? random.Next(25, 75) : random.Next(200, 600);
            Add("contract", start.AddHours(1), new { contractType, startDate = Day(since), endDate = Day(end.AddDays(endsIn)), value = 12000 + random.Next(0, 90) * 1000, autoRenew = !atRisk });

            var baseline = 400 + random.Next(0, 600);
            for (var week = 0; week < 9; week++)
            {
                var at = start.AddDays(week * 7 + 2);
                var factor = atRisk && at > end.AddDays(-30) ? 0.45 + random.NextDouble() * 0.2 : 0.9 + random.NextDouble() * 0.25;
                Add("usage", at, new { metric = "active_seats_days", quantity = Math.Round(baseline * factor) });
            }
            var tickets = atRisk ? random.Next(2, 5) : random.Next(0, 2);
            for (var t = 0; t < tickets; t++)
            {
                var opened = end.AddDays(-random.Next(3, 40));
                var ticketId = $"T-{c + 1:00}{t}";
                Add("support_ticket", opened, new { ticketId, status = "open", priority = atRisk && t == 0 ? "high" : "normal", subject = atRisk ? "Sync keeps failing" : "How do I export a report?" });
                if (!atRisk)
                    Add("support_ticket", opened.AddDays(1), new { ticketId, status = "resolved" });
            }
            for (var m = 0; m < 2; m++)
            {
                var due = end.AddDays(-45 + m * 30);
                var invoiceId = $"INV-{c + 1:00}{m}";
                Add("invoice", due.AddDays(-14), new { invoiceId, amount = 1000 + c * 25, dueDate = Day(due), status = "open" });
                var failed = atRisk && m == 1;
                Add("payment", due, new { invoiceId, amount = 1000 + c * 25, status = failed ? "failed" : "succeeded" });
            }
            Add("nps", end.AddDays(-random.Next(5, 20)), new { score = atRisk ? random.Next(2, 6) : random.Next(8, 11) });
            for (var v = 0; v < (atRisk ? 1 : 3); v++)
                Add("web_visit", end.AddDays(-random.Next(1, 30)), new { url = v == 0 ? "https://vendor.example/docs/reports" : "https://vendor.example/blog", visitorId = $"{id}-v{v}" });
        }
        events.Sort((a, b) => string.CompareOrdinal((string)a["occurredAt"]!, (string)b["occurredAt"]!));
        return events;
    }

    private static string Day(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'00:00:00'Z'", CultureInfo.InvariantCulture);
}
