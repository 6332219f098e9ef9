using System.Globalization;
using System.Text;
using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Fitting;
using AgentCrm.Sandbox.Replay;
using AgentCrm.Sandbox.Splits;
using AgentCrm.Sandbox.Tests.Cases;
using Xunit.Abstractions;

namespace AgentCrm.Sandbox.Tests.Fitting;

/// <summary>
/// A version fitted on a timeline case set is judged the way the replay judges it: a timeline case by the highest of its
/// live turns' assessments up to the cutoff, so the fit's threshold and out-of-fold estimate are chosen on that score.
/// </summary>
public sealed class TimelineFitTests(ITestOutputHelper output)
{
    [Fact]
    public void Fit_TimelineSet_ThresholdOnTheReplaysScore_HoldoutHasTrueNegativesAndMatchesItsEstimate()
    {
        var set = Synthetic(customers: 300, eventsEach: 150, seed: 7);
        var options = new FitOptions();

        var result = RenewalRiskFitter.Fit(set, options);

        // The held-out part replayed as `evaluate` replays it: the production agent over each case's live turns.
        var holdout = HoldOutCases.Of(set, options);
        var scored = ReplayEngine.Replay(new RenewalRiskKind().Create(result.Manifest), holdout.Cases);
        int tp = 0, fp = 0, fn = 0, tn = 0;
        foreach (var c in scored)
        {
            Assert.False(c.IsError, c.Why);
            if (c.Label) { if (c.Fired) tp++; else fn++; }
            else if (c.Fired) fp++; else tn++;
        }
        var f1 = 2.0 * tp / (2.0 * tp + fp + fn);
        var figures = FormattableString.Invariant($"TP {tp} FP {fp} FN {fn} TN {tn}, F1 {f1:0.000}; out of fold F1 {result.Validation.F1:0.000}, threshold {result.Manifest.Threshold}");

        output.WriteLine(figures);
        Assert.True(tn > 0, figures);
        Assert.True(f1 >= result.Validation.F1 - 0.1, figures);
        // The fit's own held-out figures are the replay's.
        Assert.Equal(f1, result.Test.F1, 6);
    }

    /// <summary>
    /// QA's generator (qa35c gen.py) in C#: customers over 180 days before a 2026-06-01 cutoff, 30% positive, whose last 60 days
    /// show low usage, open urgent tickets, overdue invoices and failed payments, and whose contract ends soon; 15% of labels flipped.
    /// </summary>
    internal static CaseSet Synthetic(int customers, int eventsEach, int seed)
    {
        var rnd = new Random(seed);
        var cutoff = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var start = cutoff.AddDays(-180);
        var events = new StringBuilder();
        var labels = new StringBuilder("customerId,cutoff,label\n");
        var n = 0;
        static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        static string Day(DateTimeOffset t) => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        for (var c = 0; c < customers; c++)
        {
            var id = $"cust-{c:00000}";
            var positive = rnd.NextDouble() < 0.3;
            var label = rnd.NextDouble() < 0.15 ? !positive : positive;
            labels.Append(CultureInfo.InvariantCulture, $"{id},2026-06-01,{(label ? 1 : 0)}\n");
            var list = new List<(DateTimeOffset At, string Line)>();
            void Add(string type, string attributes, DateTimeOffset at) =>
                list.Add((at, $"{{\"id\":\"{id}-e{++n}\",\"customerId\":\"{id}\",\"type\":\"{type}\",\"occurredAt\":\"{Iso(at)}\",\"source\":\"qa\",\"attributes\":{{{attributes}}}}}"));
            Add("profile", $"\"name\":\"Customer {c}\",\"segment\":\"{new[] { "smb", "mid", "ent" }[rnd.Next(3)]}\",\"customerSince\":\"2023-01-01\"", start);
            var type = (positive && rnd.NextDouble() < 0.8) || (!positive && rnd.NextDouble() < 0.2) ? "month-to-month" : "two-year";
            var end = cutoff.AddDays(positive ? rnd.Next(10, 61) : rnd.Next(100, 501));
            Add("contract", $"\"contractType\":\"{type}\",\"startDate\":\"2025-01-01\",\"endDate\":\"{Day(end)}\",\"autoRenew\":{(positive ? "false" : "true")},\"value\":1000", start.AddHours(1));
            for (var i = 0; i < eventsEach - 2; i++)
            {
                var t = start.AddSeconds(rnd.Next(3600 * 2, 180 * 86400));
                var late = t > cutoff.AddDays(-60);
                var r = rnd.NextDouble();
                if (r < 0.5)
                    Add("usage", $"\"quantity\":{(positive && late ? rnd.Next(5, 31) : rnd.Next(50, 101))}", t);
                else if (r < 0.65)
                    Add("support_ticket", $"\"ticketId\":\"T{c}-{i}\",\"status\":\"{(positive && late ? "open" : rnd.NextDouble() < 0.5 ? "resolved" : "closed")}\",\"priority\":\"{(positive && late && rnd.NextDouble() < 0.7 ? "urgent" : rnd.NextDouble() < 0.5 ? "low" : "normal")}\"", t);
                else if (r < 0.8)
                    Add("invoice", $"\"invoiceId\":\"I{c}-{i}\",\"amount\":100,\"dueDate\":\"{Day(t.AddDays(30))}\",\"status\":\"{(positive && late && rnd.NextDouble() < 0.5 ? "overdue" : "paid")}\"", t);
                else if (r < 0.9)
                    Add("payment", $"\"invoiceId\":\"P{c}-{i}\",\"amount\":100,\"status\":\"{(positive && late && rnd.NextDouble() < 0.6 ? "failed" : "succeeded")}\"", t);
                else
                    Add("web_visit", $"\"url\":\"https://x.example/{(rnd.NextDouble() < 0.3 ? "pricing" : "docs")}\",\"visitorId\":\"v{rnd.Next(1, 6)}\"", t);
            }
            foreach (var (_, line) in list.OrderBy(e => e.At))
                events.Append(line).Append('\n');
        }
        return SampleData.Timeline(events.ToString(), labels.ToString(), "synthetic-noisy");
    }
}
