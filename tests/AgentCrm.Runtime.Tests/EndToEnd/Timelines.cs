using System.Text.Json.Nodes;

namespace AgentCrm.Runtime.Tests.EndToEnd;

/// <summary>Hand-written customer histories.</summary>
public static class Timelines
{
    /// <summary>Month-to-month, contract ends in ~41 days, usage halves, tickets, a failed payment, NPS 3.</summary>
    public static List<JsonObject> AtRisk(string customerId, DateTimeOffset now)
    {
        var events = new List<JsonObject>
        {
            Ev.Make(customerId, "profile", now.AddDays(-70), new { name = "ACME", customerSince = now.AddDays(-400).ToString("O") }),
            Ev.Make(customerId, "contract", now.AddDays(-70), new { contractType = "Month-to-month", endDate = now.AddDays(41).ToString("O"), autoRenew = false }),
        };
        for (var d = 59; d >= 1; d -= 3)
            events.Add(Ev.Make(customerId, "usage", now.AddDays(-d), new { quantity = d > 30 ? 100 : 50 }));
        events.Add(Ev.Make(customerId, "support_ticket", now.AddDays(-6), new { ticketId = "T1", status = "open", priority = "high" }));
        events.Add(Ev.Make(customerId, "support_ticket", now.AddDays(-4), new { ticketId = "T2", status = "open" }));
        events.Add(Ev.Make(customerId, "payment", now.AddDays(-3), new { status = "failed", amount = 990 }));
        events.Add(Ev.Make(customerId, "nps", now.AddDays(-2), new { score = 3 }));
        return events;
    }

    /// <summary>Two-year contract far from its end, growing usage, no open tickets, NPS 9.</summary>
    public static List<JsonObject> Healthy(string customerId, DateTimeOffset now)
    {
        var events = new List<JsonObject>
        {
            Ev.Make(customerId, "profile", now.AddDays(-70), new { name = "Globex", customerSince = now.AddDays(-900).ToString("O") }),
            Ev.Make(customerId, "contract", now.AddDays(-70), new { contractType = "Two year", endDate = now.AddDays(400).ToString("O"), autoRenew = true }),
        };
        for (var d = 59; d >= 1; d -= 3)
            events.Add(Ev.Make(customerId, "usage", now.AddDays(-d), new { quantity = d > 30 ? 100 : 110 }));
        events.Add(Ev.Make(customerId, "support_ticket", now.AddDays(-6), new { ticketId = "T9", status = "open" }));
        events.Add(Ev.Make(customerId, "support_ticket", now.AddDays(-5), new { ticketId = "T9", status = "resolved" }));
        events.Add(Ev.Make(customerId, "payment", now.AddDays(-3), new { status = "succeeded", amount = 990 }));
        events.Add(Ev.Make(customerId, "nps", now.AddDays(-2), new { score = 9 }));
        return events;
    }
}
