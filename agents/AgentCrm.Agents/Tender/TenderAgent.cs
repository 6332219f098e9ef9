using System.Globalization;
using AgentCrm.Agents.Models;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Tender;

/// <summary>
/// Two signals that a customer is about to buy: (a) a recent procurement notice (title, buyer, description)
/// whose text the fitted model matches to our product category; (b) buying-intent web behaviour far above the
/// customer's own weekly baseline (once there is one), and new visitors from its domain. The score is the stronger
/// signal; the reasons say what was seen and since when. A notice that is no open call from this customer (an award
/// or result notice; a buyer plainly not the customer) scores nothing and says why. The finding is the notice (title
/// and buyer) or the web burst, so the cooldown holds the same notice back but not the customer's next one.
/// </summary>
internal sealed class TenderAgent(AgentManifest manifest, TenderParameters p) : IAgent
{
    public static readonly string[] NoticeFields = ["news.title", "news.buyer", "news.description"];

    /// <summary>The customer's name, compared with a notice's buyer.</summary>
    public const string CustomerNameField = "profile.name";

    public AgentManifest Manifest { get; } = manifest;

    /// <summary>The notice text the model reads: title, buyer and description, in that order (the fit uses the same).</summary>
    public static string NoticeText(CustomerSnapshot s) =>
        string.Join(" \n ", NoticeFields.Select(s.Text).Where(t => !string.IsNullOrWhiteSpace(t)));

    public Assessment Assess(CustomerSnapshot s)
    {
        var reasons = new List<Reason>();
        double notice = 0, web = 0;
        string next = "", noticeKey = "";

        if (p.Model is { } model)
            (notice, noticeKey) = Notice(s, model, reasons);

        if (s.Number("web.intentVisits7d") is { } visits && visits >= p.MinVisits && (s.Number("web.intentBaselineWeeks") ?? 0) >= p.MinBaselineWeeks)
        {
            var baseline = s.Number("web.intentWeeklyBaseline") ?? 0;
            var fresh = Math.Min(5, s.Number("web.newDomainVisitors14d") ?? 0);
            var burst = Math.Log((1 + visits) / (1 + baseline));
            var logit = p.WebIntercept + p.WebBurst * burst + p.WebNewVisitors * fresh;
            web = Math.Round(LinearModel.Sigmoid(logit), 4);
            var since = s.Number("web.intentBurstDays") is { } days ? s.AsOf.AddDays(-days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null;
            var weeks = s.Number("web.intentBaselineWeeks") ?? 0;
            var pages = s.Text("web.intentCategories7d") ?? "intent pages";
            reasons.Add(new Reason("web.intentVisits7d", visits, Math.Round(p.WebBurst * burst, 4), s.EventIds("web.intentVisits7d"), string.Create(CultureInfo.InvariantCulture,
                $"{visits:0} visits to buying pages ({pages}) in 7 days{(since is null ? "" : $", since {since}")}, vs {(weeks > 0 ? $"{baseline:0.#} a week over the {weeks:0} weeks before" : "no earlier history")}")));
            if (fresh > 0)
                reasons.Add(new Reason("web.newDomainVisitors14d", fresh, Math.Round(p.WebNewVisitors * fresh, 4), s.EventIds("web.newDomainVisitors14d"),
                    string.Create(CultureInfo.InvariantCulture, $"{fresh:0} new visitor{(fresh == 1 ? "" : "s")} from the customer's own domain in 14 days")));
        }

        var score = Math.Max(notice, web);
        if (score >= Manifest.Threshold)
            next = notice >= web
                ? "Prepare a bid: get the solicitation documents, check the closing date and mandatory requirements, line up references and a compliant price, and tell the account team."
                : "Call the sponsor this week: they are evaluating. Prepare the security questionnaire answers, an integration plan and a priced proposal.";
        reasons.Sort((a, b) => b.Weight.CompareTo(a.Weight));
        // A burst lasts days and shifts its start as they pass, so the burst is one finding per cooldown; a notice is its title and buyer.
        return new Assessment(score, score >= Manifest.Threshold, reasons, next) { FindingKey = notice >= web && noticeKey.Length > 0 ? noticeKey : "web-burst" };
    }

    /// <summary>The latest notice's match probability and its finding key; nothing when there is none, it is stale, or it is no open call from this customer.</summary>
    private (double Score, string Key) Notice(CustomerSnapshot s, TextModel model, List<Reason> reasons)
    {
        var text = NoticeText(s);
        var age = s.Number("news.daysSince");
        if (text.Length == 0 || age > p.NoticeDays)
            return (0, "");
        var title = s.Text("news.title") ?? text;
        var buyer = s.Text("news.buyer");
        var customer = s.Text(CustomerNameField);
        if (NoticeChecks.IsAward(string.Join(" \n ", s.Text("news.title"), s.Text("news.description"))))
        {
            reasons.Add(new Reason("news.title", title, 0, s.EventIds("news.title"),
                $"procurement notice \"{title}\" is a contract award or result notice, not an open call: nothing to bid on"));
            return (0, "");
        }
        if (buyer is not null && customer is not null && !NoticeChecks.SameOrganisation(buyer, customer))
        {
            reasons.Add(new Reason("news.buyer", buyer, 0, [.. s.EventIds("news.buyer"), .. s.EventIds(CustomerNameField)],
                $"procurement notice \"{title}\" is from {buyer}, not {customer}: not this customer's notice"));
            return (0, "");
        }
        var c = model.Class(TenderParameters.MatchClass)!;
        var x = model.Vectorize(text);
        var score = Math.Round(TextModel.Probability(c, x), 4);
        var terms = string.Join(", ", model.TopTerms(c, x, 3).Select(t => t.Term[2..].Trim()));
        var when = age switch
        {
            null => "recently",
            0 => "today",
            1 => "yesterday",
            var d => string.Create(CultureInfo.InvariantCulture, $"{d:0} days ago"),
        };
        reasons.Add(new Reason("news.title", title, score, s.EventIds("news.title"), string.Create(CultureInfo.InvariantCulture,
            $"procurement notice \"{title}\"{(buyer is null ? "" : $" from {buyer}")}, published {when}, matches our product category (p {score:0.00}{(terms.Length > 0 ? $"; on: {terms}" : "")})")));
        return (score, $"notice:{NoticeChecks.Normalize(title)}|{NoticeChecks.Normalize(buyer ?? "")}");
    }
}
